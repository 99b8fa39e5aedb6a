//! The figures of a recipe's results, one SVG per figure and input dimension d, written to
//! `<report dir>/figures/d<d>-<name>.svg`.
//!
//! Curves are means over seeds with a ± one standard deviation band. Key times are dashed vertical
//! lines at their mean over the seeds that reached them. A key time that no seed reached has no
//! line, and the legend lists it as not reached.

pub mod accumulated;
pub mod alignment;
pub mod dynamics;
pub mod heatmaps;
pub mod training;

use std::path::{Path, PathBuf};

use crate::error::Result;

use super::load::{DimensionGroup, RecipeResults};
use super::plot::{Band, Marker, key_time_color};
use super::stats::{KeyTime, KeyTimeStats, MeanStd, series_mean_std};

/// Largest number of points drawn per curve; longer series are subsampled evenly.
pub const MAX_CURVE_POINTS: usize = 1000;

/// Figure file names (without `d<d>-` and `.svg`) rendered for a group whose runs have an
/// analysis, in the order the report shows them.
pub const ANALYSIS_FIGURES: [&str; 14] = [
    "linearised-accuracy",
    "linearised-loss",
    "alignment-distance",
    "accumulated-accuracy-train",
    "accumulated-accuracy-test",
    "generative-power",
    "min-eigenfunctions",
    "w1",
    "saliency",
    "kernel-target-alignment",
    "parameter-distance",
    "ntk-movement",
    "ntk-relative-change",
    "layer-trace-shares",
];

/// Figure file names rendered for every group.
pub const TRAINING_FIGURES: [&str; 2] = ["training-accuracy", "training-loss"];

/// Output location of the figures of one group.
#[derive(Debug, Clone)]
pub struct FigureTarget {
    /// The figures folder.
    pub dir: PathBuf,
    /// Input dimension of the group.
    pub d: usize,
}

impl FigureTarget {
    /// Builds the path of figure `name`.
    pub fn path(&self, name: &str) -> PathBuf {
        figure_path(&self.dir, self.d, name)
    }
}

/// `<dir>/d<d>-<name>.svg`.
pub fn figure_path(dir: &Path, d: usize, name: &str) -> PathBuf {
    dir.join(format!("d{d}-{name}.svg"))
}

/// Renders every figure of every group into `dir` and returns the files written.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when a figure cannot be drawn or written.
pub fn render_figures(results: &RecipeResults, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for group in &results.groups {
        let target = FigureTarget {
            dir: dir.to_path_buf(),
            d: group.d,
        };
        written.extend(training::render(group, &target)?);
        if group.runs.iter().any(|run| run.arrays.is_some()) {
            written.extend(training::render_linearised(group, &target)?);
            written.extend(alignment::render(group, &target)?);
            written.extend(accumulated::render(group, &target)?);
            written.extend(heatmaps::render(group, &target)?);
            written.extend(dynamics::render(group, &target)?);
        }
    }
    Ok(written)
}

/// Title prefix naming the recipe's task, such as `(3, 35)-parity, 5 seeds`.
pub fn group_caption(group: &DimensionGroup) -> String {
    let seeds = group.runs.len();
    let noun = if seeds == 1 { "seed" } else { "seeds" };
    format!("({}, {})-parity, {seeds} {noun}", group.k, group.d)
}

/// Dashed vertical lines at the seed-mean t_m, t_s and t_g.
pub fn key_time_markers(group: &DimensionGroup) -> Vec<Marker> {
    KeyTime::MARKED
        .iter()
        .map(|&key_time| {
            let stats = KeyTimeStats::of(key_time, group.records());
            Marker {
                label: stats.legend(),
                tag: key_time.symbol().to_string(),
                x: stats.steps.map(|s| s.mean),
                color: key_time_color(key_time),
            }
        })
        .collect()
}

/// Builds a band over seeds from per-seed series that share the x values `xs`. A shorter series,
/// from a diverged run, contributes only where it has values.
pub fn band(label: impl Into<String>, color: plotters::style::RGBColor, xs: &[f64], series: &[Vec<f64>]) -> Band {
    let stats = series_mean_std(series);
    let points: Vec<(f64, MeanStd)> = xs
        .iter()
        .zip(stats)
        .filter_map(|(&x, s)| s.map(|s| (x, s)))
        .collect();
    Band {
        label: label.into(),
        color,
        points: subsample(points),
        dashed: false,
    }
}

/// Keeps at most [`MAX_CURVE_POINTS`] evenly spaced points, always including the last.
pub fn subsample<T: Clone>(points: Vec<T>) -> Vec<T> {
    if points.len() <= MAX_CURVE_POINTS {
        return points;
    }
    let stride = points.len().div_ceil(MAX_CURVE_POINTS);
    let last = points.len() - 1;
    points
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % stride == 0 || *i == last)
        .map(|(_, p)| p)
        .collect()
}
