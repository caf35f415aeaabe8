//! The pid registry (design §12) end to end: a process group recorded in `<data_dir>/pids` by
//! an earlier, killed server is SIGKILLed when the real `isomux` binary starts on that data
//! dir, and its entry is deleted; an entry whose start time does not match (a recycled pid) is
//! deleted without killing anything.

use isomux_tests::process::ServerProcess;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Field 22 of `/proc/<pid>/stat`: the start time in clock ticks since boot.
fn start_time(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read stat");
    let rest = &stat[stat.rfind(')').expect("comm") + 1..];
    rest.split_whitespace()
        .nth(22 - 3)
        .expect("field 22")
        .parse()
        .expect("a number")
}

/// `sleep 100` as the leader of its own process group, like an agent CLI; killed and waited
/// for on drop so a failing test leaves nothing behind.
struct Sleeper(Child);

impl Sleeper {
    fn start() -> Self {
        Self(
            Command::new("sleep")
                .arg("100")
                .process_group(0)
                .spawn()
                .expect("spawn sleep"),
        )
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn write_entry(pids: &Path, pid: u32, start: u64) {
    std::fs::write(
        pids.join(pid.to_string()),
        format!("pgid={pid}\nstart={start}\nprogram=sleep\n"),
    )
    .expect("write entry");
}

#[test]
fn startup_reaps_groups_left_by_a_killed_server() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("home");
    let pids = home.join("pids");
    std::fs::create_dir_all(&pids)?;

    let mut orphan = Sleeper::start();
    write_entry(&pids, orphan.0.id(), start_time(orphan.0.id()));
    let mut recycled = Sleeper::start();
    write_entry(&pids, recycled.0.id(), start_time(recycled.0.id()) + 1);
    std::fs::write(pids.join("12"), "not an entry")?;

    let _server = ServerProcess::start(&home, &[])?;

    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = orphan.0.try_wait()? {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the orphaned group is still alive 5 s after the server started"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    let left: Vec<_> = std::fs::read_dir(&pids)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()?;
    assert!(left.is_empty(), "every entry is deleted: {left:?}");
    assert!(
        recycled.0.try_wait()?.is_none(),
        "a pid whose start time does not match is never killed"
    );
    Ok(())
}
