//! Mean ± standard deviation over seeds, of scalars, series and key times.
//!
//! Standard deviations are sample standard deviations (divisor n − 1), and 0 for a single value.

use crate::results::RunRecord;

/// Mean and sample standard deviation of a set of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanStd {
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (divisor n − 1); 0 for one value.
    pub std: f64,
    /// Number of values.
    pub count: usize,
}

impl MeanStd {
    /// Statistics of the finite values among `values`; `None` when there is none.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Self> {
        let finite: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
        if finite.is_empty() {
            return None;
        }
        let count = finite.len();
        let mean = finite.iter().sum::<f64>() / count as f64;
        let std = if count > 1 {
            let squares: f64 = finite.iter().map(|v| (v - mean).powi(2)).sum();
            (squares / (count - 1) as f64).sqrt()
        } else {
            0.0
        };
        Some(Self { mean, std, count })
    }

    /// `mean ± std` with `decimals` digits after the point.
    pub fn format(&self, decimals: usize) -> String {
        format!("{:.*} ± {:.*}", decimals, self.mean, decimals, self.std)
    }
}

/// Formats optional statistics, writing "–" when there is none.
pub fn format_optional(stats: Option<MeanStd>, decimals: usize) -> String {
    stats.map_or_else(|| "–".to_string(), |s| s.format(decimals))
}

/// Per-index mean and standard deviation of series of possibly different lengths (a diverged run
/// stops early): index i averages the series that have a finite value there.
pub fn series_mean_std(series: &[Vec<f64>]) -> Vec<Option<MeanStd>> {
    let length = series.iter().map(Vec::len).max().unwrap_or(0);
    (0..length)
        .map(|i| MeanStd::of(series.iter().filter_map(|s| s.get(i).copied())))
        .collect()
}

/// The three key times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyTime {
    /// Initialisation, step 0.
    Initial,
    /// t_m, memorisation.
    Memorisation,
    /// t_s, onset of generalisation.
    Onset,
    /// t_g, generalisation.
    Generalisation,
}

impl KeyTime {
    /// t_0, t_m, t_s, t_g in training order.
    pub const ALL: [KeyTime; 4] = [KeyTime::Initial, KeyTime::Memorisation, KeyTime::Onset, KeyTime::Generalisation];

    /// t_m, t_s, t_g, the times the training curves mark.
    pub const MARKED: [KeyTime; 3] = [KeyTime::Memorisation, KeyTime::Onset, KeyTime::Generalisation];

    /// Symbol used in figures and tables.
    pub fn symbol(self) -> &'static str {
        match self {
            KeyTime::Initial => "t_0",
            KeyTime::Memorisation => "t_m",
            KeyTime::Onset => "t_s",
            KeyTime::Generalisation => "t_g",
        }
    }

    /// Returns the step of this key time in a run, or `None` when the run never reached it.
    pub fn step(self, record: &RunRecord) -> Option<usize> {
        match self {
            KeyTime::Initial => Some(0),
            KeyTime::Memorisation => record.key_times.t_m,
            KeyTime::Onset => record.key_times.t_s,
            KeyTime::Generalisation => record.key_times.t_g,
        }
    }
}

/// A key time over the seeds of a group of runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyTimeStats {
    /// The key time summarised.
    pub key_time: KeyTime,
    /// Statistics over the runs that reached it; `None` when no run did.
    pub steps: Option<MeanStd>,
    /// Runs that reached it.
    pub reached: usize,
    /// All runs.
    pub runs: usize,
}

impl KeyTimeStats {
    /// Statistics of `key_time` over `records`.
    pub fn of<'a>(key_time: KeyTime, records: impl IntoIterator<Item = &'a RunRecord>) -> Self {
        let mut runs = 0;
        let mut steps = Vec::new();
        for record in records {
            runs += 1;
            if let Some(step) = key_time.step(record) {
                steps.push(step as f64);
            }
        }
        Self {
            key_time,
            reached: steps.len(),
            steps: MeanStd::of(steps),
            runs,
        }
    }

    /// Legend text such as `t_g = 1240 ± 310 (4/5 seeds)` or `t_g not reached (0/5 seeds)`.
    pub fn legend(&self) -> String {
        match self.steps {
            Some(steps) => format!(
                "{} = {} ({}/{} seeds)",
                self.key_time.symbol(),
                steps.format(0),
                self.reached,
                self.runs
            ),
            None => format!("{} not reached (0/{} seeds)", self.key_time.symbol(), self.runs),
        }
    }
}

/// Index of the first checkpoint at or after `step`; `None` when every checkpoint is earlier.
pub fn checkpoint_at_or_after(checkpoint_steps: &[usize], step: usize) -> Option<usize> {
    checkpoint_steps.iter().position(|&s| s >= step)
}
