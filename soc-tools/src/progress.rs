//! Progress bars for long work: on stderr when it is a terminal, hidden otherwise (pipes, CI,
//! `--json`).

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static QUIET: AtomicBool = AtomicBool::new(false);

/// Hides every bar from now on (the CLI calls it for `--json`).
pub fn quiet() {
    QUIET.store(true, Ordering::Relaxed);
}

/// A bar of `len` steps labelled `what`, drawn only on an interactive stderr.
pub fn bar(len: u64, what: &str) -> ProgressBar {
    let visible = !QUIET.load(Ordering::Relaxed) && std::io::stderr().is_terminal();
    let target = if visible {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} {elapsed}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}
