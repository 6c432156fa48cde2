//! The deployment files as far as this machine can check them: the systemd unit with
//! `systemd-analyze` (verify, and the security exposure offline) when it is installed,
//! the unit's and the Dockerfile's promises (a dedicated user, hardening, a private state
//! directory, a data volume, a health check the binary answers), and the token's env
//! file. Building the image needs a Docker daemon and base images, which this machine
//! does not have: that is not tested here.

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `key=value` lines of a unit file (comments and sections left out).
fn unit_values(unit: &str, key: &str) -> Vec<String> {
    unit.lines()
        .filter_map(|l| l.trim().strip_prefix(key)?.strip_prefix('='))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_unit_runs_as_its_own_user_hardened_with_a_private_state_directory() {
    let unit = read("deploy/sportello.service");
    let one = |k: &str| {
        let v = unit_values(&unit, k);
        assert_eq!(v.len(), 1, "{k}: {v:?}");
        v[0].clone()
    };
    assert_eq!(one("User"), "sportello");
    assert_eq!(one("StateDirectory"), "sportello");
    assert_eq!(one("StateDirectoryMode"), "0700");
    assert_eq!(one("EnvironmentFile"), "/etc/sportello/sportello.env");
    for (k, v) in [
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("CapabilityBoundingSet", ""),
        ("UMask", "0077"),
        ("KillSignal", "SIGTERM"),
    ] {
        assert_eq!(one(k), v, "{k}");
    }
    let exec = one("ExecStart");
    assert!(exec.ends_with(" run"), "{exec}");
    // The data directory the service writes is the one systemd creates for it.
    assert!(
        unit_values(&unit, "Environment").contains(&"SPORTELLO_DATA_DIR=/var/lib/sportello".into()),
        "{unit}"
    );
    assert!(
        !unit.contains("TELOXIDE_TOKEN="),
        "the token lives in the env file only"
    );
}

#[test]
fn systemd_analyze_finds_no_fault_and_a_low_exposure() {
    let Ok(version) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("systemd-analyze is not installed: the unit is not verified here");
        return;
    };
    assert!(version.status.success());
    // verify needs an executable that exists: the binary just built stands in for
    // /opt/sportello/sportello.
    let dir = tempfile::tempdir().unwrap();
    let unit = read("deploy/sportello.service").replace(
        "/opt/sportello/sportello ",
        &format!("{} ", env!("CARGO_BIN_EXE_sportello")),
    );
    let path = dir.path().join("sportello.service");
    std::fs::write(&path, unit).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("sportello.service"),
        "systemd-analyze verify:\n{stderr}"
    );
    // The exposure score (0–10, lower is safer) must stay at 2.0 or below.
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--threshold=20"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "exposure above 2.0:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_image_is_multi_stage_non_root_with_a_data_volume_and_a_health_check() {
    let file = read("Dockerfile");
    let lines: Vec<&str> = file
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    let froms = lines.iter().filter(|l| l.starts_with("FROM ")).count();
    assert!(froms >= 2, "a build stage and a runtime stage");
    let user = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER");
    assert!(
        !user.starts_with("root") && !user.starts_with('0'),
        "{user}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("VOLUME") && l.contains("/var/lib/sportello"))
    );
    let check = lines
        .iter()
        .position(|l| l.starts_with("HEALTHCHECK"))
        .expect("a HEALTHCHECK");
    assert!(lines[check..check + 2].concat().contains("\"health\""));
    assert!(
        file.contains("SPORTELLO_OPS_LISTEN="),
        "the health check needs the listener"
    );
    // The health check's command exists in this binary.
    let help = Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args(["health", "--help"])
        .output()
        .unwrap();
    assert!(help.status.success(), "{help:?}");
    assert!(read(".dockerignore").lines().any(|l| l.trim() == "target"));
}

#[test]
fn the_env_file_example_holds_only_a_placeholder_token() {
    let env = read("deploy/sportello.env.example");
    let tokens: Vec<&str> = env
        .lines()
        .filter_map(|l| l.strip_prefix("TELOXIDE_TOKEN="))
        .collect();
    assert_eq!(tokens.len(), 1);
    assert!(
        tokens[0].contains("replace"),
        "a placeholder, never a real token"
    );
}
