//! A process's resident memory as Linux reports it in `/proc/<pid>/status`,
//! for the benchmarks (the server's load generator, the app's start-up).

/// Resident memory of a process, in KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resident {
    /// `VmRSS`: resident now.
    pub now_kib: u64,
    /// `VmHWM`: the peak since start (or since the peak was last reset).
    pub peak_kib: u64,
}

/// `pid`'s resident memory; zeros once the process is gone.
pub fn resident(pid: u32) -> Resident {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Resident {
        now_kib: field("VmRSS:"),
        peak_kib: field("VmHWM:"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_this_process() {
        let own = super::resident(std::process::id());
        assert!(own.now_kib > 0, "{own:?}");
        assert!(own.peak_kib >= own.now_kib, "{own:?}");
        assert_eq!(super::resident(u32::MAX), super::Resident::default());
    }
}
