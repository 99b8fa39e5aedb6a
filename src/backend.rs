//! Run-time choice of the burn backend.
//!
//! The model and analysis code is written once against `burn::tensor::Device`. This module maps
//! a backend name to a device and checks that the device works before any run starts, so that a
//! missing driver is a clear error instead of a panic deep inside a run.

use std::fmt;
use std::str::FromStr;

use burn::tensor::{DType, Device, Tensor, TensorData};

use crate::error::{Error, Result};

/// The burn backends this framework can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// burn's pure-Rust CPU backend (always compiled in; the default).
    Flex,
    /// GPU through wgpu (Vulkan, Metal or DX12); cargo feature `wgpu`, on by default.
    Wgpu,
    /// NVIDIA GPU through CUDA; cargo feature `cuda`.
    Cuda,
    /// burn's ndarray CPU backend, deprecated upstream in favour of flex; cargo feature `ndarray`.
    Ndarray,
}

impl BackendKind {
    /// Every backend name, in the order `--help` lists them.
    pub const ALL: [BackendKind; 4] = [
        BackendKind::Flex,
        BackendKind::Wgpu,
        BackendKind::Cuda,
        BackendKind::Ndarray,
    ];

    /// Returns the name used on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Flex => "flex",
            BackendKind::Wgpu => "wgpu",
            BackendKind::Cuda => "cuda",
            BackendKind::Ndarray => "ndarray",
        }
    }

    /// Returns the cargo feature that compiles the backend in (flex needs none).
    pub fn cargo_feature(self) -> Option<&'static str> {
        match self {
            BackendKind::Flex => None,
            BackendKind::Wgpu => Some("wgpu"),
            BackendKind::Cuda => Some("cuda"),
            BackendKind::Ndarray => Some("ndarray"),
        }
    }

    /// Returns whether this build contains the backend.
    pub fn is_compiled(self) -> bool {
        match self {
            BackendKind::Flex => true,
            BackendKind::Wgpu => cfg!(feature = "wgpu"),
            BackendKind::Cuda => cfg!(feature = "cuda"),
            BackendKind::Ndarray => cfg!(feature = "ndarray"),
        }
    }

    /// Returns whether the backend computes in f64 (wgpu has no f64 type in its shading languages).
    pub fn supports_f64(self) -> bool {
        !matches!(self, BackendKind::Wgpu)
    }

    /// Opens the backend's default device and runs one small computation on it.
    ///
    /// # Errors
    /// [`Error::Backend`] when the backend is not compiled in, or when the device cannot be
    /// created or fails the test computation (for a GPU backend: no adapter or driver).
    pub fn device(self) -> Result<Device> {
        if !self.is_compiled() {
            let feature = self.cargo_feature().unwrap_or_default();
            return Err(self.unavailable(format!(
                "this build does not include it; rebuild with `--features {feature}`"
            )));
        }
        let device = self.new_device();
        probe(&device).map_err(|message| {
            let hint = match self {
                BackendKind::Wgpu => {
                    "install a Vulkan, Metal or DX12 driver (on Debian, `mesa-vulkan-drivers` \
                     gives a software Vulkan device), or use `--backend flex`"
                }
                BackendKind::Cuda => {
                    "check that an NVIDIA GPU, its driver and the CUDA toolkit are installed, \
                     or use `--backend flex`"
                }
                _ => "use `--backend flex`",
            };
            self.unavailable(format!("no working device ({message}); {hint}"))
        })?;
        Ok(device)
    }

    fn unavailable(self, reason: String) -> Error {
        Error::Backend {
            backend: self.name().to_string(),
            reason,
        }
    }

    fn new_device(self) -> Device {
        match self {
            BackendKind::Flex => Device::flex(),
            #[cfg(feature = "wgpu")]
            BackendKind::Wgpu => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
            #[cfg(feature = "cuda")]
            BackendKind::Cuda => Device::cuda(0),
            #[cfg(feature = "ndarray")]
            BackendKind::Ndarray => Device::ndarray(),
            #[allow(unreachable_patterns)]
            _ => unreachable!("is_compiled() is checked before new_device()"),
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BackendKind {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self> {
        BackendKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name.to_ascii_lowercase())
            .ok_or_else(|| Error::Argument {
                argument: "--backend",
                value: name.to_string(),
                allowed: "expected one of flex, wgpu, cuda, ndarray".to_string(),
            })
    }
}

/// Creates a two-element tensor on `device` and reads it back.
///
/// GPU runtimes report a missing adapter by panicking on first use, so the probe runs under
/// `catch_unwind` with the panic message silenced and returned instead.
fn probe(device: &Device) -> std::result::Result<(), String> {
    let device = device.clone();
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(move || {
        let tensor = Tensor::<1>::from_data(TensorData::new(vec![1.0f32, 2.0], [2]), &device);
        let values = tensor.mul_scalar(2.0).try_into_vec_as::<f32>();
        values.map(|v| v == [2.0, 4.0]).unwrap_or(false)
    });
    std::panic::set_hook(previous_hook);
    match outcome {
        Ok(true) => Ok(()),
        Ok(false) => Err("a test computation returned wrong values".to_string()),
        Err(payload) => Err(panic_message(payload.as_ref())),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "the backend panicked".to_string()
    }
}

/// Float type in which an analysis runs on a device: f64 where the backend has it.
pub fn analysis_dtype(backend: BackendKind) -> DType {
    if backend.supports_f64() {
        DType::F64
    } else {
        DType::F32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_names_round_trip() {
        for kind in BackendKind::ALL {
            assert_eq!(kind.name().parse::<BackendKind>().unwrap(), kind);
        }
    }

    #[test]
    fn unknown_backend_is_rejected() {
        let error = "tpu".parse::<BackendKind>().unwrap_err().to_string();
        assert!(error.contains("tpu"), "{error}");
        assert!(error.contains("flex, wgpu"), "{error}");
    }
}
