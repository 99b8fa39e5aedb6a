//! Heatmaps of one representative run at t_0, t_m, t_s and t_g: the first-layer weights W_1 and
//! the row-normalised saliency maps of the leading eigenfunctions.
//!
//! Hidden units are permuted between seeds and eigenfunctions differ in sign and order, so these
//! figures show one run, not a mean: the lowest seed that reached all key times, else the lowest
//! seed.

use std::path::PathBuf;

use plotters::style::IntoTextStyle;

use crate::error::Result;
use crate::report::load::{AnalysisArrays, DimensionGroup, LoadedRun};
use crate::report::plot::{
    Area, CellMark, Colormap, DrawResult, HeatmapPanel, draw_colorbar, draw_heatmap, write_svg, FIGURE_WIDTH, FONT,
    LABEL_SIZE, PALETTE, TITLE_SIZE,
};
use crate::report::stats::{KeyTime, checkpoint_at_or_after};

use super::{FigureTarget, group_caption};

/// Height of the four-panel heatmap figures, in SVG pixels.
const HEATMAP_HEIGHT: u32 = 640;
/// Width of the colour bar, in SVG pixels.
const COLORBAR_WIDTH: u32 = 120;
/// Leading eigenfunctions shown in the saliency figure.
pub const SALIENCY_ROWS: usize = 50;

/// Picks the run the heatmaps show: the lowest seed with an analysis that reached t_m, t_s and t_g,
/// or else the lowest seed with an analysis.
pub fn representative_run(group: &DimensionGroup) -> Option<&LoadedRun> {
    let analysed = || group.runs.iter().filter(|run| run.arrays.is_some());
    analysed()
        .find(|run| KeyTime::MARKED.iter().all(|k| k.step(&run.record).is_some()))
        .or_else(|| analysed().next())
}

/// Finds the checkpoint index of each key time in `run`, `None` when it was not reached.
fn key_checkpoints(run: &LoadedRun, arrays: &AnalysisArrays) -> Vec<(KeyTime, Option<usize>)> {
    KeyTime::ALL
        .iter()
        .map(|&key_time| {
            let checkpoint = key_time
                .step(&run.record)
                .and_then(|step| checkpoint_at_or_after(&arrays.checkpoint_steps, step));
            (key_time, checkpoint)
        })
        .collect()
}

/// Draws a panel saying that a key time was not reached.
fn draw_absent(area: &Area, key_time: KeyTime) -> DrawResult {
    let (width, height) = area.dim_in_pixel();
    let style = (FONT, LABEL_SIZE).into_text_style(area);
    area.draw_text(&format!("{} not reached", key_time.symbol()), &style, (width as i32 / 6, height as i32 / 2))?;
    Ok(())
}

/// Draws one heatmap panel into its column of the figure.
type DrawPanel<'a> = dyn Fn(&HeatmapPanel<'_>) -> DrawResult + 'a;

/// Builds the panel of a key time at a checkpoint index and hands it to the panel drawer.
type PanelBuilder<'a> = dyn Fn(KeyTime, usize, &DrawPanel<'_>) -> DrawResult + 'a;

/// Draws one panel per key time (t_0, t_m, t_s, t_g) and a colour bar.
#[allow(clippy::too_many_arguments)]
fn draw_panels(
    area: &Area,
    title: &str,
    keys: &[(KeyTime, Option<usize>)],
    panel_for: &PanelBuilder<'_>,
    colormap: Colormap,
    range: (f64, f64),
    colorbar_label: &str,
) -> DrawResult {
    let area = area.titled(title, (FONT, TITLE_SIZE))?;
    let (panels, bar) = area.split_horizontally(area.dim_in_pixel().0 - COLORBAR_WIDTH);
    let columns = panels.split_evenly((1, keys.len()));
    for ((key_time, checkpoint), column) in keys.iter().zip(&columns) {
        match checkpoint {
            Some(checkpoint) => panel_for(*key_time, *checkpoint, &|panel| draw_heatmap(column, panel, colormap))?,
            None => draw_absent(column, *key_time)?,
        }
    }
    draw_colorbar(&bar, colormap, range.0, range.1, colorbar_label)
}

/// Renders `w1` and `saliency`.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when a figure cannot be written.
pub fn render(group: &DimensionGroup, target: &FigureTarget) -> Result<Vec<PathBuf>> {
    let Some(run) = representative_run(group) else {
        return Ok(Vec::new());
    };
    let arrays = run.arrays.as_ref().expect("the representative run has an analysis");
    let keys = key_checkpoints(run, arrays);
    let k = group.k;
    let seed = run.seed();
    let clean_mark = vec![CellMark {
        position: k as f64,
        tag: "k".to_string(),
        color: PALETTE[3],
    }];
    let one_based = |index: usize| (index + 1).to_string();
    let mut written = Vec::new();

    // W_1: a diverging map with 0 in the middle and the same range in every panel.
    let (_, width, d) = arrays.w1.dim();
    let largest = keys
        .iter()
        .filter_map(|(_, c)| *c)
        .flat_map(|c| arrays.w1.index_axis(ndarray::Axis(0), c).iter().map(|v| f64::from(v.abs())).collect::<Vec<_>>())
        .fold(0.0, f64::max);
    let largest = if largest > 0.0 { largest } else { 1.0 };
    let title = format!("First-layer weights W_1 of seed {seed}, {}", group_caption(group));
    let path = target.path("w1");
    write_svg(&path, (FIGURE_WIDTH, HEATMAP_HEIGHT), |area| {
        let panel_for = |key_time: KeyTime, checkpoint: usize, draw: &DrawPanel<'_>| {
            let cell = |row: usize, col: usize| 0.5 + 0.5 * f64::from(arrays.w1[[checkpoint, row, col]]) / largest;
            draw(&HeatmapPanel {
                title: format!("{} (step {})", key_time.symbol(), arrays.checkpoint_steps[checkpoint]),
                x_label: "input bit j".to_string(),
                y_label: "hidden unit".to_string(),
                rows: width,
                cols: d,
                cell: &cell,
                x_tick: &one_based,
                y_tick: &one_based,
                x_marks: clean_mark.clone(),
                y_marks: Vec::new(),
            })
        };
        draw_panels(area, &title, &keys, &panel_for, Colormap::Diverging, (-largest, largest), "weight value")
    })?;
    written.push(path);

    // Saliency: each row scaled to [0, 1] by its own minimum and maximum.
    let (_, count, d) = arrays.saliency.dim();
    let rows = count.min(SALIENCY_ROWS);
    let y_marks = if group.d < rows {
        vec![CellMark {
            position: group.d as f64 - 0.5,
            tag: "d".to_string(),
            color: PALETTE[3],
        }]
    } else {
        Vec::new()
    };
    let title = format!(
        "Saliency of eigenfunctions 1–{rows}, each row min–max scaled, seed {seed}, {}",
        group_caption(group)
    );
    let path = target.path("saliency");
    write_svg(&path, (FIGURE_WIDTH, HEATMAP_HEIGHT), |area| {
        let panel_for = |key_time: KeyTime, checkpoint: usize, draw: &DrawPanel<'_>| {
            let map = arrays.saliency.index_axis(ndarray::Axis(0), checkpoint);
            let cell = |row: usize, col: usize| {
                let values = map.row(row);
                let low = values.iter().copied().fold(f64::INFINITY, f64::min);
                let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if high > low { (values[col] - low) / (high - low) } else { f64::NAN }
            };
            draw(&HeatmapPanel {
                title: format!("{} (step {})", key_time.symbol(), arrays.checkpoint_steps[checkpoint]),
                x_label: "input bit j".to_string(),
                y_label: "eigenfunction i".to_string(),
                rows,
                cols: d,
                cell: &cell,
                x_tick: &one_based,
                y_tick: &one_based,
                x_marks: clean_mark.clone(),
                y_marks: y_marks.clone(),
            })
        };
        draw_panels(area, &title, &keys, &panel_for, Colormap::Viridis, (0.0, 1.0), "scaled saliency")
    })?;
    written.push(path);
    Ok(written)
}
