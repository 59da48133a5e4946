//! Random NPY headers and random Parquet schemas fed to the vectors and sentence readers:
//! each gives an `Ok` or a clean `Err`, never a panic, whatever the file claims.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use arrow_array::builder::{Float32Builder, Float64Builder, Int64Builder, ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use parquet::arrow::ArrowWriter;
use proptest::prelude::*;
use simlens::io::{SentenceSet, VectorsFile};

/// A v1 NPY file with `header` and `body` bytes.
fn npy(header: &str, body: &[u8]) -> Vec<u8> {
    let mut out = simlens::io::npy::v1_header(header);
    out.extend_from_slice(body);
    out
}

fn dims() -> impl Strategy<Value = String> {
    let dim = prop_oneof![
        Just("0".to_owned()),
        (0u64..40).prop_map(|d| d.to_string()),
        any::<u64>().prop_map(|d| d.to_string()),
        Just("18446744073709551615".to_owned()),
        Just("-3".to_owned()),
        Just("x".to_owned()),
    ];
    prop::collection::vec(dim, 0..4)
        .prop_map(|d| if d.len() == 1 { format!("({},)", d[0]) } else { format!("({})", d.join(", ")) })
}

fn descr() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&["<f4", "<f8", ">f4", "|u1", "<f2", "<i4"][..])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_npy_headers_are_read_or_refused(
        shape in dims(),
        d in descr(),
        fortran in any::<bool>(),
        spaces in any::<bool>(),
        body in prop::collection::vec(any::<u8>(), 0..512),
        cut in 0usize..80,
    ) {
        let header = if spaces {
            format!("{{'descr': '{d}', 'fortran_order': {}, 'shape': {shape}, }}", if fortran { "True" } else { "False" })
        } else {
            format!("{{'descr':'{d}','fortran_order':{},'shape':{shape}}}", if fortran { "True" } else { "False" })
        };
        let mut bytes = npy(&header, &body);
        // A truncated file too, cut anywhere in its first bytes.
        if cut < 40 { bytes.truncate(cut.min(bytes.len())); }
        let _ = simlens::io::npy::read_f32(&bytes);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v.npy");
        std::fs::write(&p, &bytes).unwrap();
        if let Ok(v) = VectorsFile::read(&p) {
            // What is accepted is whole: rows × dim values, each row of unit length.
            prop_assert_eq!(v.embeddings.data.len(), v.embeddings.len() * v.embeddings.dim);
            for row in v.embeddings.rows() {
                let n: f32 = row.iter().map(|x| x * x).sum::<f32>().sqrt();
                prop_assert!((n - 1.0).abs() < 1e-4, "row norm {}", n);
            }
        }
    }
}

/// One random column: a name a reader looks for (or not) and a type it may not expect.
#[derive(Debug, Clone)]
enum Col {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    F32Lists(Vec<Option<Vec<Option<f32>>>>),
    F64Lists(Vec<Option<Vec<f64>>>),
}

fn column(rows: usize) -> impl Strategy<Value = Col> {
    let value = prop_oneof![Just(f32::NAN), Just(0.0f32), -2.0f32..2.0, Just(f32::INFINITY)];
    prop_oneof![
        prop::collection::vec(prop::option::of("[a-z ]{0,6}"), rows).prop_map(Col::Text),
        prop::collection::vec(prop::option::of(any::<i64>()), rows).prop_map(Col::Int),
        prop::collection::vec(
            prop::option::weighted(0.9, prop::collection::vec(prop::option::weighted(0.95, value), 0..5)),
            rows
        )
        .prop_map(Col::F32Lists),
        prop::collection::vec(prop::option::of(prop::collection::vec(-1.0f64..1.0, 0..5)), rows)
            .prop_map(Col::F64Lists),
    ]
}

fn array(c: &Col) -> ArrayRef {
    match c {
        Col::Text(v) => {
            let mut b = StringBuilder::new();
            v.iter().for_each(|x| b.append_option(x.as_deref()));
            Arc::new(b.finish())
        }
        Col::Int(v) => {
            let mut b = Int64Builder::new();
            v.iter().for_each(|x| b.append_option(*x));
            Arc::new(b.finish())
        }
        Col::F32Lists(v) => {
            let mut b = ListBuilder::new(Float32Builder::new());
            for row in v {
                match row {
                    Some(vals) => {
                        vals.iter().for_each(|x| b.values().append_option(*x));
                        b.append(true);
                    }
                    None => b.append(false),
                }
            }
            Arc::new(b.finish())
        }
        Col::F64Lists(v) => {
            let mut b = ListBuilder::new(Float64Builder::new());
            for row in v {
                match row {
                    Some(vals) => {
                        vals.iter().for_each(|x| b.values().append_value(*x));
                        b.append(true);
                    }
                    None => b.append(false),
                }
            }
            Arc::new(b.finish())
        }
    }
}

fn table() -> impl Strategy<Value = Vec<(String, Col)>> {
    (0usize..6).prop_flat_map(|rows| {
        let name = prop::sample::select(&["text", "group", "embedding", "vector", "id", "sentence"][..]);
        prop::collection::vec((name, column(rows)), 0..4).prop_map(|cols| {
            // Parquet column names are unique within a file.
            let mut seen = std::collections::HashSet::new();
            cols.into_iter().filter(|(n, _)| seen.insert(*n)).map(|(n, c)| (n.to_owned(), c)).collect()
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_parquet_schemas_are_read_or_refused(cols in table()) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.parquet");
        if cols.is_empty() {
            std::fs::write(&p, b"PAR1 not really").unwrap();
        } else {
            let batch = RecordBatch::try_from_iter(cols.iter().map(|(n, c)| (n.as_str(), array(c)))).unwrap();
            let mut w = ArrowWriter::try_new(std::fs::File::create(&p).unwrap(), batch.schema(), None).unwrap();
            w.write(&batch).unwrap();
            w.close().unwrap();
        }
        if let Ok(v) = VectorsFile::read(&p) {
            prop_assert_eq!(v.embeddings.data.len(), v.embeddings.len() * v.embeddings.dim);
            prop_assert!(v.embeddings.data.iter().all(|x| x.is_finite()));
            if let Some(s) = &v.sentences {
                prop_assert_eq!(s.len(), v.embeddings.len());
            }
        }
        if let Ok(set) = SentenceSet::read_path(&p) {
            prop_assert!(!set.is_empty());
        }
    }
}
