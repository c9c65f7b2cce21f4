//! The progress bar on stderr while references resolve: a run over many
//! repositories can spend most of its time waiting on servers, and a silent
//! terminal looks hung.
//!
//! The bar lives on a thread of its own and only reads the resolvers'
//! [`Tallies`]; nothing in resolution knows it exists. It is drawn only for
//! a person: stderr a terminal, the text format (a JSON or SARIF report is
//! for a program), and not `--quiet`. It goes when resolution ends, before
//! the findings are printed.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Format, OutputArgs};
use crate::resolve::tally::Tallies;

/// How often the bar reads the tallies.
const TICK: Duration = Duration::from_millis(100);

/// Should a run with these options show a bar?
pub fn wanted(output: &OutputArgs) -> bool {
    use std::io::IsTerminal;
    output.format == Format::Text && !output.quiet && std::io::stderr().is_terminal()
}

/// A running bar; dropping it stops the thread and clears the bar.
pub struct Progress {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Show the progress of `tallies` until resolution ends, when `show`.
    pub fn start(tallies: Arc<Tallies>, show: bool) -> Self {
        if !show {
            return Self {
                stop: None,
                thread: None,
            };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("hardpin-progress".into())
            .spawn(move || draw(&tallies, &stopped))
            // No thread, no bar: the run itself does not need one.
            .ok();
        Self {
            stop: Some(stop),
            thread,
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // Closing the channel wakes the thread; joining it means the bar is
        // cleared before anything else is printed.
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Until resolution ends or `stopped` closes: show resolved of queued.
/// Nothing is drawn before anything is queued.
fn draw(tallies: &Tallies, stopped: &mpsc::Receiver<()>) {
    let mut bar: Option<ProgressBar> = None;
    loop {
        match stopped.recv_timeout(TICK) {
            Err(RecvTimeoutError::Timeout) if !tallies.is_over() => {}
            _ => break,
        }
        let total = tallies.total();
        if total.queued == 0 {
            continue;
        }
        let bar = bar.get_or_insert_with(new_bar);
        bar.set_length(total.queued as u64);
        bar.set_position(total.done() as u64);
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

fn new_bar() -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{spinner} resolving references [{bar:30}] {pos}/{len} ({elapsed})",
    )
    .map_or_else(
        |_| ProgressStyle::default_bar(),
        |s| s.progress_chars("=> "),
    );
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(style);
    bar.enable_steady_tick(TICK);
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_bar_starts_no_thread_and_a_shown_one_ends_with_resolution() {
        let tallies = Arc::new(Tallies::default());
        let hidden = Progress::start(tallies.clone(), false);
        assert!(hidden.thread.is_none());
        let mut shown = Progress::start(tallies.clone(), true);
        tallies.end();
        let thread = shown.thread.take().unwrap();
        thread.join().unwrap();
    }
}
