//! The summary table printed at the end of a sweep.

use std::fmt::Write;

use crate::sweep::{RunResult, SweepReport};
use crate::training::trainer::TrainingStatus;

/// Formats one line per run: d, seed, t_m, t_s, t_g, final accuracies and status.
pub fn summary_table(report: &SweepReport) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{:<24} {:>4} {:>5} {:>6} {:>6} {:>6} {:>9} {:>9}  {}",
        "run", "d", "seed", "t_m", "t_s", "t_g", "train acc", "test acc", "status"
    );
    for (id, result) in &report.runs {
        let record = match result {
            RunResult::Done(record) | RunResult::Skipped(record) => record,
            RunResult::Failed(error) => {
                let _ = writeln!(text, "{id:<24} {:>4} {:>5} {:>6} {:>6} {:>6} {:>9} {:>9}  failed: {error}", "", "", "", "", "", "", "");
                continue;
            }
        };
        let time = |t: Option<usize>| t.map_or_else(|| "-".to_string(), |t| t.to_string());
        let (train, test) = record
            .final_metrics()
            .map_or((f64::NAN, f64::NAN), |m| (m.train_accuracy, m.test_accuracy));
        let mut status = match record.status {
            TrainingStatus::Finished => "finished".to_string(),
            TrainingStatus::Diverged { step } => format!("diverged at step {step}"),
        };
        if matches!(result, RunResult::Skipped(_)) {
            status.push_str(" (earlier run)");
        }
        let _ = writeln!(
            text,
            "{:<24} {:>4} {:>5} {:>6} {:>6} {:>6} {:>9.3} {:>9.3}  {}",
            id,
            record.config.task.d,
            record.config.training.seed,
            time(record.key_times.t_m),
            time(record.key_times.t_s),
            time(record.key_times.t_g),
            train,
            test,
            status
        );
    }
    text
}
