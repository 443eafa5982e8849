//! Running other programs, loudly: every command is echoed, and a failure stops the task
//! with the command that failed.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Result of a task step; the message says what failed.
pub type Result<T = ()> = std::result::Result<T, String>;

/// The repository root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository")
        .to_path_buf()
}

/// A command to run from the repository root.
pub fn cmd(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root());
    c
}

/// Runs `c` to completion; an error names the command when it fails or cannot start.
pub fn status(c: &mut Command) -> Result {
    eprintln!("xtask> {}", describe(c));
    match c.status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("`{}` failed ({s})", describe(c))),
        Err(e) => Err(format!("`{}` could not start: {e}", describe(c))),
    }
}

/// Runs `c` to completion, like [`status`], and returns what it printed on standard output
/// (its standard error still reaches ours).
pub fn stdout(c: &mut Command) -> Result<String> {
    eprintln!("xtask> {}", describe(c));
    match c.stderr(std::process::Stdio::inherit()).output() {
        Ok(out) if out.status.success() => String::from_utf8(out.stdout)
            .map_err(|_| format!("`{}` printed text that is not UTF-8", describe(c))),
        Ok(out) => Err(format!("`{}` failed ({})", describe(c), out.status)),
        Err(e) => Err(format!("`{}` could not start: {e}", describe(c))),
    }
}

/// Runs `c` and returns its standard output, or `None` when it cannot run or fails.
pub fn output(c: &mut Command) -> Option<String> {
    let out = c.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn describe(c: &Command) -> String {
    let mut text = c.get_program().to_string_lossy().into_owned();
    for arg in c.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}
