//! Checkpoint schedules: the steps at which weights are saved and analysed.
//!
//! Every schedule contains step 0 (the initialisation) and the final step.
//! - `uniform`: every `every` steps.
//! - `multi-speed`: consecutive segments, each checkpointing every `every` steps from the end of
//!   the previous segment up to its own `until`. The last segment may omit `until` and run to the
//!   end. An example is every 20 steps up to 2000 and every 250 after.
//! - `log`: `count` steps spaced evenly in log(step) between 1 and the final step, rounded and
//!   without repeats.

use crate::error::FieldError;

/// Kind of a checkpoint schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleKind {
    /// A fixed interval.
    Uniform,
    /// Segments with their own intervals.
    MultiSpeed,
    /// Log-spaced steps.
    Log,
}

/// One segment of a multi-speed schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Interval between checkpoints within the segment.
    pub every: usize,
    /// Last step of the segment; the final step of the run when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<usize>,
}

/// The `[checkpoints]` section of a recipe.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    /// Which schedule.
    pub kind: ScheduleKind,
    /// Interval of a `uniform` schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<usize>,
    /// Segments of a `multi-speed` schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<Vec<Segment>>,
    /// Number of log-spaced steps of a `log` schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
}

impl ScheduleSpec {
    /// Computes the ascending checkpoint steps of a run of `steps` updates.
    ///
    /// # Errors
    /// A [`FieldError`] naming the first `checkpoints` field that is missing, unused by the
    /// kind, or out of range.
    pub fn steps(&self, steps: usize) -> Result<Vec<usize>, FieldError> {
        self.reject_unused()?;
        let mut checkpoints = match self.kind {
            ScheduleKind::Uniform => {
                let every = self.every.ok_or_else(|| missing("checkpoints.every", "uniform"))?;
                if every == 0 {
                    return Err(FieldError::new("checkpoints.every", every, "must be at least 1"));
                }
                (0..=steps).step_by(every).collect()
            }
            ScheduleKind::MultiSpeed => self.multi_speed_steps(steps)?,
            ScheduleKind::Log => {
                let count = self.count.ok_or_else(|| missing("checkpoints.count", "log"))?;
                if count < 2 {
                    return Err(FieldError::new("checkpoints.count", count, "must be at least 2"));
                }
                let mut points = vec![0];
                let top = (steps.max(1) as f64).ln();
                for i in 0..count {
                    let fraction = i as f64 / (count - 1) as f64;
                    points.push((fraction * top).exp().round() as usize);
                }
                points
            }
        };
        checkpoints.push(steps);
        checkpoints.retain(|&s| s <= steps);
        checkpoints.sort_unstable();
        checkpoints.dedup();
        Ok(checkpoints)
    }

    fn multi_speed_steps(&self, steps: usize) -> Result<Vec<usize>, FieldError> {
        let segments = self
            .segments
            .as_ref()
            .ok_or_else(|| missing("checkpoints.segments", "multi-speed"))?;
        if segments.is_empty() {
            return Err(FieldError::new("checkpoints.segments", "[]", "must contain at least one segment"));
        }
        let mut checkpoints = vec![0];
        let mut start = 0;
        for (index, segment) in segments.iter().enumerate() {
            let field = |name: &str| format!("checkpoints.segments[{index}].{name}");
            if segment.every == 0 {
                return Err(FieldError::new(field("every"), segment.every, "must be at least 1"));
            }
            let is_last = index + 1 == segments.len();
            let until = match segment.until {
                Some(until) => until,
                None if is_last => steps,
                None => {
                    return Err(FieldError::new(
                        field("until"),
                        "(missing)",
                        "is required on every segment but the last",
                    ));
                }
            };
            if until <= start || until > steps {
                return Err(FieldError::new(
                    field("until"),
                    until,
                    format!("must be greater than the previous segment's end ({start}) and at most training.steps ({steps})"),
                ));
            }
            checkpoints.extend((start..=until).step_by(segment.every));
            start = until;
        }
        Ok(checkpoints)
    }

    fn reject_unused(&self) -> Result<(), FieldError> {
        let kind = match self.kind {
            ScheduleKind::Uniform => "uniform",
            ScheduleKind::MultiSpeed => "multi-speed",
            ScheduleKind::Log => "log",
        };
        let unused = |field: &str| {
            FieldError::new(
                format!("checkpoints.{field}"),
                "(set)",
                format!("is not used by kind = \"{kind}\"; remove it"),
            )
        };
        if self.every.is_some() && self.kind != ScheduleKind::Uniform {
            return Err(unused("every"));
        }
        if self.segments.is_some() && self.kind != ScheduleKind::MultiSpeed {
            return Err(unused("segments"));
        }
        if self.count.is_some() && self.kind != ScheduleKind::Log {
            return Err(unused("count"));
        }
        Ok(())
    }
}

fn missing(field: &str, kind: &str) -> FieldError {
    FieldError::new(field, "(missing)", format!("is required when kind = \"{kind}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_speed_matches_paper_schedule() {
        let spec = ScheduleSpec {
            kind: ScheduleKind::MultiSpeed,
            every: None,
            segments: Some(vec![
                Segment { every: 20, until: Some(2000) },
                Segment { every: 250, until: None },
            ]),
            count: None,
        };
        let steps = spec.steps(5000).unwrap();
        assert_eq!(steps.len(), 101 + 12);
        assert_eq!(&steps[..3], &[0, 20, 40]);
        assert_eq!(&steps[99..103], &[1980, 2000, 2250, 2500]);
        assert_eq!(steps.last(), Some(&5000));
    }

    #[test]
    fn log_schedule_is_increasing_and_bounded() {
        let spec = ScheduleSpec {
            kind: ScheduleKind::Log,
            every: None,
            segments: None,
            count: Some(20),
        };
        let steps = spec.steps(1000).unwrap();
        assert_eq!(steps[0], 0);
        assert_eq!(*steps.last().unwrap(), 1000);
        assert!(steps.windows(2).all(|w| w[0] < w[1]));
    }
}
