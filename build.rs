//! Rebuilds the crate when a PostgreSQL migration is added or changed: they are embedded
//! by `sqlx::migrate!`, which cargo does not otherwise know to watch.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
