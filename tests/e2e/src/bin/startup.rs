//! Start-up benchmark (issue 12): launches the release app and, in the same
//! run and alternating with it, the floor (the smallest Tauri window of the
//! same Tauri version, tests/startup-floor), and prints a table of the time
//! to an interactive window and the resident memory of each with its WebKit
//! processes, medians beside the floor's. Run it under a display:
//!
//! ```sh
//! ./scripts/build-ui.sh
//! cargo build --release --bins -p private-chat-app -p private-chat-floor
//! cargo build -p private-chat-e2e --bin startup
//! xvfb-run -a -s "-screen 0 1280x1024x24" dbus-run-session -- target/debug/startup
//! ```
//!
//! *Time to interactive*: from the process's start (`/proc/<pid>/stat`) to
//! the page's Web Performance mark: the lobby's `lobby-interactive` (name
//! shown, buttons enabled), the floor's `interactive` (its text shown).
//! *Memory*: the sum of `VmRSS` of the app and every process it started,
//! one second after that mark.
//!
//! `--rounds N` (default 5); `--debug` measures the debug builds (the test
//! command's smoke run: it proves the tool works, its figures mean nothing).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use private_chat_e2e::app::{App, Launch};
use private_chat_protocol::app::LOBBY_INTERACTIVE_MARK;

/// Launches of each; the verdicts use the medians.
const ROUNDS: usize = 5;
/// How long after the mark the memory is read (the page settled).
const SETTLE: Duration = Duration::from_secs(1);

struct Subject {
    name: &'static str,
    binary: PathBuf,
    ready: &'static str,
    mark: &'static str,
}

#[derive(Clone, Copy)]
struct Sample {
    interactive_ms: f64,
    rss_kib: u64,
    processes: usize,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds = args
        .iter()
        .skip_while(|a| *a != "--rounds")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(ROUNDS);
    // `--debug`: the debug builds, for the test command's smoke run (the
    // figures only mean something for release builds).
    let profile = if args.iter().any(|a| a == "--debug") {
        "debug"
    } else {
        "release"
    };
    let release = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target")
        .join(profile);
    let floor = Subject {
        name: "floor (minimal Tauri window)",
        binary: release.join("private-chat-floor"),
        ready: "[data-testid=floor]",
        mark: "interactive",
    };
    let app = Subject {
        name: "private_chat (lobby)",
        binary: release.join("private-chat"),
        ready: "[data-testid=lobby]",
        mark: LOBBY_INTERACTIVE_MARK,
    };
    for s in [&floor, &app] {
        assert!(
            s.binary.exists(),
            "{} is missing: cargo build [--release] --bins -p private-chat-app -p private-chat-floor",
            s.binary.display()
        );
    }
    let (mut floors, mut apps) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        floors.push(measure(&floor).await);
        apps.push(measure(&app).await);
        eprintln!("round {round} of {rounds} done");
    }

    println!("| window | run | time to interactive ms | resident memory MiB (processes) |");
    println!("|---|---:|---:|---:|");
    for (subject, samples) in [(&floor, &floors), (&app, &apps)] {
        for (i, s) in samples.iter().enumerate() {
            println!(
                "| {} | {} | {:.0} | {:.1} ({}) |",
                subject.name,
                i + 1,
                s.interactive_ms,
                s.rss_kib as f64 / 1024.0,
                s.processes
            );
        }
    }
    let time = |v: &[Sample]| median(v.iter().map(|s| s.interactive_ms).collect());
    let rss = |v: &[Sample]| median(v.iter().map(|s| s.rss_kib as f64 / 1024.0).collect());
    let (ft, at, fm, am) = (time(&floors), time(&apps), rss(&floors), rss(&apps));
    println!(
        "| **{} (median)** | | **{ft:.0}** | **{fm:.1}** |",
        floor.name
    );
    println!(
        "| **{} (median)** | | **{at:.0}** | **{am:.1}** |",
        app.name
    );
    println!();
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!(
        "time to interactive lobby {at:.0} ms (target at most 500 ms): {}",
        verdict(at <= 500.0)
    );
    println!(
        "time to interactive {at:.0} ms vs floor {ft:.0} ms = +{:.0} ms (target at most +200 ms): {}",
        at - ft,
        verdict(at - ft <= 200.0)
    );
    println!(
        "memory {am:.1} MiB vs floor {fm:.1} MiB = {:.2}x (target at most 1.15x): {}",
        am / fm,
        verdict(am <= 1.15 * fm)
    );
    println!(
        "machine: {} cores; {profile} builds; medians of {rounds} launches each, alternating",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
}

async fn measure(subject: &Subject) -> Sample {
    let app = App::launch(Launch {
        binary: Some(subject.binary.clone()),
        ready: Some(subject.ready.to_owned()),
        ..Launch::default()
    })
    .await;
    let processes = app.processes();
    let main_pid = *processes.first().expect("the app's process");
    let mark_ms = mark_epoch_ms(&app, subject.mark).await;
    let started_ms = start_epoch_ms(main_pid);
    tokio::time::sleep(SETTLE).await;
    let processes = app.processes();
    let rss_kib = processes
        .iter()
        .map(|pid| private_chat_tests::memory::resident(*pid as u32).now_kib)
        .sum();
    app.quit().await;
    Sample {
        interactive_ms: mark_ms - started_ms,
        rss_kib,
        processes: processes.len(),
    }
}

/// When the page set the mark, in ms since the Unix epoch.
async fn mark_epoch_ms(app: &App, mark: &str) -> f64 {
    for _ in 0..200 {
        let at = app
            .ui
            .script(
                "const m = performance.getEntriesByName(arguments[0])[0];
                 return m ? performance.timeOrigin + m.startTime : null;",
                serde_json::json!([mark]),
            )
            .await;
        if let Some(ms) = at.as_f64() {
            return ms;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the page never set its {mark} mark");
}

/// When a process started, in ms since the Unix epoch (clock-tick
/// precision): its start on the boot-time clock, moved to the wall clock.
fn start_epoch_ms(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the process runs");
    // Field 22 (starttime), counted after the command name's closing paren.
    let ticks: f64 = stat
        .rsplit(')')
        .next()
        .and_then(|rest| rest.split_whitespace().nth(19))
        .and_then(|t| t.parse().ok())
        .expect("a starttime");
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: sysconf has no preconditions; clock_gettime writes `now`.
    let (hz, _) = unsafe {
        (
            libc::sysconf(libc::_SC_CLK_TCK) as f64,
            libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut now),
        )
    };
    let wall_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0;
    let boot_now_s = now.tv_sec as f64 + now.tv_nsec as f64 / 1e9;
    wall_ms - (boot_now_s - ticks / hz) * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
