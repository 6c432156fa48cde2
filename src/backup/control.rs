//! The control socket: how `sportello backup` gets a snapshot from a running instance.
//!
//! The embedded store lets one process open the database (it locks the store's `LOCK`
//! file), so while `sportello run` is up a second process cannot read it. The instance
//! listens on a Unix socket in the data directory (`control.sock`, `0600` in a `0700`
//! directory: only the service's account, and root, can connect) and answers one
//! request, `backup`, with a whole backup file taken by its own store (one point in
//! time, see [`crate::store::dump`]). Nothing is served on the HTTP ops listener, which
//! may face a network.
//!
//! Protocol: the client writes `backup\n` and closes its side; the instance writes one
//! status byte (`0` ok, `1` failed), then the backup file or the error's text, and closes.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tracing::Instrument;

use super::BackupError;
use crate::store::Store;

/// The socket's file name in the data directory.
pub const SOCKET: &str = "control.sock";
const REQUEST: &[u8] = b"backup\n";

pub fn path(dir: &Path) -> PathBuf {
    dir.join(SOCKET)
}

/// The listening socket of a running instance; removed when dropped.
pub struct Control {
    path: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Control {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Listens on the data directory's control socket for the life of the returned value.
/// A socket file left by an instance that died is replaced (this process owns the
/// database, so no other instance can be using it).
pub fn serve(dir: &Path, store: Store) -> std::io::Result<Control> {
    let path = path(dir);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let listener = UnixListener::bind(&path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    let dir = dir.to_path_buf();
    let task = tokio::spawn(async move {
        loop {
            let Ok((conn, _)) = listener.accept().await else {
                continue;
            };
            // One backup at a time: a second client waits for the first.
            if let Err(e) = answer(conn, &dir, &store).await {
                tracing::warn!(error = %e, "control socket");
            }
        }
    });
    tracing::info!(socket = %path.display(), "control socket listening");
    Ok(Control { path, task })
}

async fn answer(mut conn: UnixStream, dir: &Path, store: &Store) -> std::io::Result<()> {
    let mut req = Vec::new();
    (&mut conn)
        .take(REQUEST.len() as u64 + 1)
        .read_to_end(&mut req)
        .await?;
    if req.is_empty() {
        // A probe (`running`): nothing asked.
        return Ok(());
    }
    let reply = if req == REQUEST {
        let span = tracing::info_span!("backup", via = "control socket");
        let taken = super::snapshot_bytes(store, dir, Timestamp::now())
            .instrument(span)
            .await;
        match taken {
            Ok(bytes) => {
                tracing::info!(bytes = bytes.len(), "backup taken");
                [vec![0], bytes].concat()
            }
            Err(e) => {
                tracing::error!(error = %e, "backup failed");
                [vec![1], e.to_string().into_bytes()].concat()
            }
        }
    } else {
        [vec![1], b"unknown request".to_vec()].concat()
    };
    conn.write_all(&reply).await?;
    conn.shutdown().await
}

/// Asks the instance running on `dir` for a backup; `None` when none is listening.
pub async fn ask(dir: &Path) -> Result<Option<Vec<u8>>, BackupError> {
    let mut conn = match UnixStream::connect(path(dir)).await {
        Ok(c) => c,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(BackupError::Instance(e.to_string())),
    };
    let talk = async {
        conn.write_all(REQUEST).await?;
        conn.shutdown().await?;
        let mut reply = Vec::new();
        conn.read_to_end(&mut reply).await?;
        Ok::<_, std::io::Error>(reply)
    };
    let reply = talk
        .await
        .map_err(|e| BackupError::Instance(e.to_string()))?;
    match reply.split_first() {
        Some((0, bytes)) => Ok(Some(bytes.to_vec())),
        Some((_, msg)) => Err(BackupError::Instance(
            String::from_utf8_lossy(msg).into_owned(),
        )),
        None => Err(BackupError::Instance("no answer".into())),
    }
}

/// Whether an instance answers on `dir`'s control socket.
pub async fn running(dir: &Path) -> bool {
    UnixStream::connect(path(dir)).await.is_ok()
}
