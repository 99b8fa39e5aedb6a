//! The alignment distance d(K_a, K_b) between the NTKs of every pair of checkpoints, averaged
//! over seeds, with the key checkpoints marked.

use std::path::PathBuf;

use ndarray::Array2;

use crate::error::Result;
use crate::report::load::DimensionGroup;
use crate::report::plot::{
    CellMark, Colormap, HeatmapPanel, draw_colorbar, draw_heatmap, key_time_color, write_svg, FIGURE_WIDTH, TITLE_SIZE,
    FONT,
};
use crate::report::stats::{KeyTime, KeyTimeStats, checkpoint_at_or_after};

use super::FigureTarget;

/// Height of the alignment figure, in SVG pixels (a square heatmap plus title and axes).
const ALIGNMENT_HEIGHT: u32 = 920;
/// Width of the colour bar, in SVG pixels.
const COLORBAR_WIDTH: u32 = 130;

/// Averages the alignment matrices of the runs whose checkpoints match the first analysed run's.
/// Returns those checkpoint steps, the mean matrix and the number of runs averaged.
pub fn mean_alignment(group: &DimensionGroup) -> Option<(Vec<usize>, Array2<f64>, usize)> {
    let mut analysed = group.runs.iter().filter_map(|run| run.arrays.as_ref());
    let first = analysed.next()?;
    let steps = first.checkpoint_steps.clone();
    let mut sum = first.alignment_distance.clone();
    let mut count = 1;
    for arrays in analysed {
        if arrays.checkpoint_steps == steps {
            sum += &arrays.alignment_distance;
            count += 1;
        }
    }
    Some((steps, sum / count as f64, count))
}

/// Renders `alignment-distance`.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when the figure cannot be written.
pub fn render(group: &DimensionGroup, target: &FigureTarget) -> Result<Vec<PathBuf>> {
    let Some((steps, matrix, count)) = mean_alignment(group) else {
        return Ok(Vec::new());
    };
    let high = matrix.iter().copied().filter(|v| v.is_finite()).fold(0.0, f64::max);
    let high = if high > 0.0 { high } else { 1.0 };

    let marks: Vec<CellMark> = KeyTime::MARKED
        .iter()
        .filter_map(|&key_time| {
            let stats = KeyTimeStats::of(key_time, group.records());
            let checkpoint = checkpoint_at_or_after(&steps, stats.steps?.mean.round() as usize)?;
            Some(CellMark {
                position: checkpoint as f64 + 0.5,
                tag: key_time.symbol().to_string(),
                color: key_time_color(key_time),
            })
        })
        .collect();
    let absent: Vec<&str> = KeyTime::MARKED
        .iter()
        .filter(|&&k| KeyTimeStats::of(k, group.records()).steps.is_none())
        .map(|k| k.symbol())
        .collect();
    let absent_note = if absent.is_empty() {
        String::new()
    } else {
        format!("; not reached: {}", absent.join(", "))
    };

    let cell = |row: usize, col: usize| matrix[[row, col]] / high;
    let tick = |index: usize| steps[index].to_string();
    let panel = HeatmapPanel {
        title: format!("key checkpoints at seed-mean times{absent_note}"),
        x_label: "checkpoint (training step)".to_string(),
        y_label: "checkpoint (training step)".to_string(),
        rows: steps.len(),
        cols: steps.len(),
        cell: &cell,
        x_tick: &tick,
        y_tick: &tick,
        x_marks: marks.clone(),
        y_marks: marks,
    };
    let title = format!(
        "NTK alignment distance between checkpoints, (k, d) = ({}, {}), mean of {count} seeds",
        group.k, group.d
    );
    let path = target.path("alignment-distance");
    write_svg(&path, (FIGURE_WIDTH, ALIGNMENT_HEIGHT), |area| {
        let area = area.titled(&title, (FONT, TITLE_SIZE))?;
        let (left, right) = area.split_horizontally(area.dim_in_pixel().0 - COLORBAR_WIDTH);
        draw_heatmap(&left, &panel, Colormap::Viridis)?;
        draw_colorbar(&right, Colormap::Viridis, 0.0, high, "d(K_a, K_b) (unitless)")
    })?;
    Ok(vec![path])
}
