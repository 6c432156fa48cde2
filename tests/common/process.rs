//! The real `sportello run` binary as a child process, with its log in a file.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::botapi::StandIn;

pub const TOKEN: &str = "123456789:TEST_token-that_must_never_be_logged";

/// A config file for the tests: the shipped knowledge, the given extra TOML appended.
pub fn config(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("test-config.toml");
    std::fs::write(
        &path,
        format!(
            "[knowledge]\ndir = \"{}/knowledge\"\ndocuments_cache = \"\"\n{extra}",
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
    path
}

/// The binary under test, not yet started.
fn bot_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sportello"))
}

/// A running bot process.
pub struct Running {
    child: Child,
    log: PathBuf,
}

impl Running {
    pub fn start(api: &StandIn, config: &Path, data: &Path, run: u32) -> Running {
        Running::start_with(
            api,
            config,
            data,
            run,
            &[],
            "sportello=debug,teloxide=info,warn",
        )
    }

    /// [`Running::start`] with these extra environment variables (e.g. a database URL).
    pub fn start_env(
        api: &StandIn,
        config: &Path,
        data: &Path,
        run: u32,
        env: &[(&str, &str)],
    ) -> Running {
        Running::spawn(
            bot_command(),
            api,
            config,
            data,
            run,
            &[],
            "sportello=debug,teloxide=info,warn",
            env,
        )
    }

    /// [`Running::start`] with extra arguments before `run` and this `RUST_LOG`.
    pub fn start_with(
        api: &StandIn,
        config: &Path,
        data: &Path,
        run: u32,
        args: &[&str],
        rust_log: &str,
    ) -> Running {
        Running::spawn(bot_command(), api, config, data, run, args, rust_log, &[])
    }

    /// [`Running::start`] on a disk that holds no file larger than `max_file` bytes
    /// (`RLIMIT_FSIZE`, as a full disk: a write past it fails with `EFBIG`; `SIGXFSZ`
    /// ignored). The log, which is such a file too, is kept to warnings.
    pub fn start_on_full_disk(
        api: &StandIn,
        config: &Path,
        data: &Path,
        run: u32,
        max_file: u64,
    ) -> Running {
        use std::os::unix::process::CommandExt;
        let mut cmd = bot_command();
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                let lim = libc::rlimit {
                    rlim_cur: max_file,
                    rlim_max: max_file,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0
                    || libc::signal(libc::SIGXFSZ, libc::SIG_IGN) == libc::SIG_ERR
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        Running::spawn(cmd, api, config, data, run, &[], "sportello=warn,warn", &[])
    }

    /// `cmd` (the binary, perhaps with limits set) run against the stand-in.
    #[allow(clippy::too_many_arguments)]
    fn spawn(
        mut cmd: Command,
        api: &StandIn,
        config: &Path,
        data: &Path,
        run: u32,
        args: &[&str],
        rust_log: &str,
        env: &[(&str, &str)],
    ) -> Running {
        let log = data.with_extension(format!("log{run}"));
        let child = cmd
            .arg("--config")
            .arg(config)
            .arg("--data-dir")
            .arg(data)
            .args(args)
            .arg("run")
            .env("TELOXIDE_TOKEN", TOKEN)
            .env("TELOXIDE_API_URL", api.url())
            .env("RUST_LOG", rust_log)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("starting sportello");
        Running { child, log }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no chance to flush or say goodbye.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.check_log();
    }

    /// SIGTERM, then the process must leave by itself, successfully.
    pub fn term(self) {
        self.ask_to_stop();
        self.leaves();
    }

    /// Sends SIGTERM, once.
    pub fn ask_to_stop(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits (at most 40 s) for the process to leave by itself, successfully.
    pub fn leaves(mut self) {
        let end = std::time::Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                assert!(s.success(), "exit {s:?}\n{}", self.log());
                break;
            }
            assert!(
                std::time::Instant::now() < end,
                "no clean stop\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        self.check_log();
    }

    /// Waits (at most `limit`) for the process to leave by itself; its exit status.
    pub async fn exited(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let end = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < end {
            if let Some(s) = self.child.try_wait().unwrap() {
                self.check_log();
                return Some(s);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    pub fn check_log(&self) {
        let log = self.log();
        assert!(
            !log.contains("TEST_token"),
            "the token reached the log:\n{log}"
        );
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `text` from `user` and waits (up to a minute) for the bot's first message to
/// that chat: the bot is up and answering. Panics with the bot's log otherwise.
pub async fn says_back(api: &StandIn, bot: &Running, user: i64, text: &str) {
    let n = api.call_count();
    api.push_text(user, text);
    let answered = api
        .wait_for(n, Duration::from_secs(60), |c| {
            c.method == "sendMessage" && c.chat() == Some(user)
        })
        .await;
    assert!(answered.is_some(), "no reply\n{}", bot.log());
}
