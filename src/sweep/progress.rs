//! Progress bars and log lines that do not tear them.

use std::io::Write;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::training::trainer::StepMetrics;

/// Progress display of a sweep: one bar for all runs and one per run in flight.
#[derive(Clone)]
pub struct SweepProgress {
    multi: MultiProgress,
    overall: ProgressBar,
}

impl SweepProgress {
    /// Creates the display for `runs` runs; hidden when `visible` is false.
    pub fn new(runs: usize, visible: bool) -> Self {
        let multi = MultiProgress::with_draw_target(if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let overall = multi.add(ProgressBar::new(runs as u64));
        overall.set_style(
            ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} runs, {elapsed} elapsed, {msg}")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        overall.set_prefix("sweep");
        overall.enable_steady_tick(Duration::from_millis(500));
        Self { multi, overall }
    }

    /// Creates a writer for log lines that suspends the bars while it prints.
    pub fn log_writer(&self) -> ProgressLogWriter {
        ProgressLogWriter {
            multi: self.multi.clone(),
            buffer: Vec::new(),
        }
    }

    /// Adds a bar for a run of `steps` steps.
    pub fn start_run(&self, run_id: &str, steps: usize) -> RunProgress {
        let bar = self.multi.insert_before(&self.overall, ProgressBar::new(steps as u64));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {msg}")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        bar.set_prefix(run_id.to_string());
        RunProgress { bar }
    }

    /// Counts one run as done, with a note on the overall bar.
    pub fn finish_run(&self, note: &str) {
        self.overall.inc(1);
        self.overall.set_message(note.to_string());
    }

    /// Removes the bars.
    pub fn finish(&self) {
        self.overall.finish_and_clear();
        let _ = self.multi.clear();
    }
}

/// The bar of one run.
pub struct RunProgress {
    bar: ProgressBar,
}

impl RunProgress {
    /// How often the message is redrawn, in steps; formatting every step would slow short steps.
    const MESSAGE_EVERY: usize = 25;

    /// Shows the metrics of a training step.
    pub fn training_step(&self, step: usize, metrics: &StepMetrics) {
        self.bar.set_position(step as u64);
        if step % Self::MESSAGE_EVERY == 0 {
            self.bar.set_message(format!(
                "loss {:.4}/{:.4} acc {:.3}/{:.3} (train/test)",
                metrics.train_loss, metrics.test_loss, metrics.train_accuracy, metrics.test_accuracy
            ));
        }
    }

    /// Switches the bar to the analysis of `checkpoints` checkpoints.
    pub fn start_analysis(&self, checkpoints: usize) {
        self.bar.set_length(checkpoints as u64);
        self.bar.set_position(0);
        self.bar.set_message("NTK analysis (checkpoints)");
    }

    /// Counts one analysed checkpoint.
    pub fn analysed_checkpoint(&self) {
        self.bar.inc(1);
    }

    /// Removes the bar.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

/// Buffers one log record and prints it with the bars suspended.
pub struct ProgressLogWriter {
    multi: MultiProgress,
    buffer: Vec<u8>,
}

impl Write for ProgressLogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buffer.is_empty() {
            let buffer = std::mem::take(&mut self.buffer);
            self.multi.suspend(|| std::io::stderr().write_all(&buffer))?;
        }
        Ok(())
    }
}

impl Drop for ProgressLogWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}
