//! Moving row-major host matrices to and from a device.

use burn::tensor::{Tensor, TensorData};

use crate::model::{Matrix, Mlp, options};

/// Creates a tensor from a host matrix, on the device and in the float type of `mlp`'s weights.
pub fn to_device(matrix: &Matrix<f64>, mlp: &Mlp) -> Tensor<2> {
    let reference = &mlp.weights[0];
    let data = TensorData::new(matrix.values.clone(), [matrix.rows, matrix.cols]);
    Tensor::<2>::from_data(data, options(&reference.device(), reference.dtype()))
}

/// Reads a 2-D tensor back as an f64 host matrix.
pub fn to_host(tensor: Tensor<2>) -> Matrix<f64> {
    let [rows, cols] = tensor.dims();
    let values = tensor
        .try_into_vec_as::<f64>()
        .expect("tensor read back from the device");
    Matrix { rows, cols, values }
}

impl Matrix<f64> {
    /// Rows `start..end` as a new matrix.
    pub fn row_range(&self, start: usize, end: usize) -> Matrix<f64> {
        Matrix {
            rows: end - start,
            cols: self.cols,
            values: self.values[start * self.cols..end * self.cols].to_vec(),
        }
    }

    /// Converts f32 row-major values into an f64 matrix.
    pub fn from_f32(values: &[f32], rows: usize, cols: usize) -> Matrix<f64> {
        assert_eq!(values.len(), rows * cols, "values fill rows × cols");
        Matrix {
            rows,
            cols,
            values: values.iter().map(|&v| f64::from(v)).collect(),
        }
    }

    /// Entry (i, j).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.values[i * self.cols + j]
    }

    /// Creates a zero matrix.
    pub fn zeros(rows: usize, cols: usize) -> Matrix<f64> {
        Matrix {
            rows,
            cols,
            values: vec![0.0; rows * cols],
        }
    }

    /// Writes `block` with its top-left corner at (row, col).
    pub fn set_block(&mut self, row: usize, col: usize, block: &Matrix<f64>) {
        for i in 0..block.rows {
            let target = (row + i) * self.cols + col;
            self.values[target..target + block.cols]
                .copy_from_slice(&block.values[i * block.cols..(i + 1) * block.cols]);
        }
    }
}

/// Start and end of the tiles of `n` items of at most `tile` items each.
pub fn tiles(n: usize, tile: usize) -> impl Iterator<Item = (usize, usize)> {
    let tile = tile.max(1);
    (0..n).step_by(tile).map(move |start| (start, (start + tile).min(n)))
}
