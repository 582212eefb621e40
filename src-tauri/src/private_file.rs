//! Files only their owner can read (mode 0600): the own server's key, the
//! key files of rooms.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path`, readable by the user alone. The bytes go to a
/// fresh file first and then replace `path`, so a crash leaves the old
/// content or the new, never half, and never a file with other rights.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).map_err(fail)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}
