//! Starts the `noida-db` Elasticsearch emulator for the duration of the test step.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running emulator; stopped when dropped.
pub(crate) struct Emulator {
    child: Child,
    data_dir: PathBuf,
    pub(crate) url: String,
}

impl Emulator {
    /// Starts the emulator named by `SOC_NOIDA_BIN`, if set; `None` (with a note) otherwise.
    pub(crate) fn start() -> Result<Option<Self>, String> {
        let Some(bin) = std::env::var_os("SOC_NOIDA_BIN") else {
            eprintln!("note: SOC_NOIDA_BIN is not set: es-ops emulator tests will be skipped");
            return Ok(None);
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let data_dir =
            std::env::temp_dir().join(format!("soc-noida-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
        let child = Command::new(&bin)
            .args([
                "start",
                "--only",
                "elasticsearch",
                "--elasticsearch-port",
                &port.to_string(),
                "--host",
                "127.0.0.1",
                "--data-dir",
            ])
            .arg(&data_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", PathBuf::from(&bin).display()))?;
        let mut emu = Self {
            child,
            data_dir,
            url: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(status)) = emu.child.try_wait() {
                return Err(format!("noida-db exited at start: {status}"));
            }
            if ready(port) {
                eprintln!("es-ops emulator (noida-db) at {}", emu.url);
                return Ok(Some(emu));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        emu.stop();
        Err("noida-db did not answer within 20 s".into())
    }

    fn stop(&mut self) {
        // SIGTERM lets it exit cleanly; kill is the fallback.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `GET /` answers 200.
fn ready(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    if s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}
