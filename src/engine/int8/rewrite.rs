//! The int8 graph rewrite: every `MatMul` by a constant fp32 weight becomes a per-row
//! dynamically quantized integer product, with the few outlier input channels kept in fp32.
//!
//! For an activation `x` (`… × K`) feeding weight `W` (`K × N`):
//!
//! ```text
//! xm  = x · mask                      outlier channels set to 0 (only when there are any)
//! m   = max(ReduceMax(|xm|, -1), ε)   one scale per row: per token, never per batch
//! q   = QuantizeLinear(xm / m, 1/127, 128)              uint8, zero point 128
//! y   = MatMulIntegerToFloat(q, Wq, 1, sW/127, 128) · m  int8 weights, one scale per column
//! y  += Gather(x, outliers) · W[outliers, :]            the outlier channels in fp32
//! ```
//!
//! Each row's scale depends on that row alone and the integer product is exact, so a
//! sentence gives the same vector alone or in any batch. Per-tensor dynamic quantization
//! (`quantize_dynamic`) shares one scale across the batch, which is why its vectors move
//! with their batch-mates.
//!
//! Why the outlier channels: transformer hidden states carry a few channels that are 20×
//! the rest on special tokens (`[CLS]`, `[SEP]`). A per-row scale set by such a channel
//! leaves the other channels with a few levels, and short sentences, where special
//! tokens are half the mean, lose most (cosine 0.978 to fp32 for "Yes!"). Channels past
//! [`OUTLIER_RATIO`] × the median channel range on the calibration sentences are taken
//! out of the integer product and multiplied in fp32, as LLM.int8() does, but chosen once
//! so the graph stays static.

use std::collections::HashMap;

use onnx_protobuf::{
    AttributeProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto, attribute_proto::AttributeType,
};

/// Channels whose calibrated range passes this multiple of the median channel's are
/// computed in fp32.
pub const OUTLIER_RATIO: f32 = 4.0;
/// At most this many fp32 channels per activation: the fp32 product stays negligible.
pub const MAX_OUTLIERS: usize = 4;

const FLOAT: i32 = 1;
const UINT8: i32 = 2;
const INT8: i32 = 3;
const INT64: i32 = 7;
const MS_DOMAIN: &str = "com.microsoft";

/// A `MatMul` whose second input is a constant fp32 matrix.
#[derive(Debug, Clone)]
pub struct Target {
    /// Index of the node in the graph.
    pub node: usize,
    /// The activation (first input).
    pub activation: String,
    /// The initializer holding the weight, found through any `Identity` chain.
    pub weight: String,
}

/// What the rewrite did, for the log and the note in the model's info.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// `MatMul` nodes made integer.
    pub matmuls: usize,
    /// Distinct activations quantized.
    pub activations: usize,
    /// Input channels kept in fp32, over all activations.
    pub outlier_channels: usize,
}

/// The fp32 values of an initializer (data inlined already); `None` for other types.
pub fn floats(t: &TensorProto) -> Option<Vec<f32>> {
    if t.data_type != FLOAT {
        return None;
    }
    if !t.raw_data.is_empty() {
        return Some(t.raw_data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect());
    }
    Some(t.float_data.clone())
}

/// The `MatMul` nodes by a constant 2-D fp32 weight, in graph order.
pub fn targets(model: &ModelProto) -> Vec<Target> {
    let graph: &onnx_protobuf::GraphProto = &model.graph;
    let initializers: HashMap<&str, &TensorProto> = graph.initializer.iter().map(|t| (t.name.as_str(), t)).collect();
    // ALBERT shares its layers: the exporter reads one weight through `Identity` nodes.
    let identity: HashMap<&str, &str> = graph
        .node
        .iter()
        .filter(|n| n.op_type == "Identity" && n.input.len() == 1 && n.output.len() == 1)
        .map(|n: &NodeProto| (n.output[0].as_str(), n.input[0].as_str()))
        .collect();
    let resolve = |start: &str| {
        let mut name = start;
        for _ in 0..64 {
            match identity.get(name) {
                Some(next) => name = next,
                None => break,
            }
        }
        initializers.get(name).filter(|t| t.dims.len() == 2 && t.data_type == FLOAT).map(|t| t.name.clone())
    };
    graph
        .node
        .iter()
        .enumerate()
        .filter(|(_, n)| n.op_type == "MatMul" && n.domain.is_empty() && n.input.len() == 2)
        .filter_map(|(i, n)| {
            let weight = resolve(&n.input[1])?;
            Some(Target { node: i, activation: n.input[0].clone(), weight })
        })
        .collect()
}

/// The fp32 channels of one activation: those past [`OUTLIER_RATIO`] × the median range,
/// largest first, at most [`MAX_OUTLIERS`].
pub fn outliers(range: &[f32]) -> Vec<usize> {
    if range.is_empty() {
        return Vec::new();
    }
    let mut sorted = range.to_vec();
    sorted.sort_by(f32::total_cmp);
    let median = sorted[sorted.len() / 2];
    if median <= 0.0 {
        return Vec::new();
    }
    let mut big: Vec<usize> = (0..range.len()).filter(|&j| range[j] > OUTLIER_RATIO * median).collect();
    big.sort_by(|&a, &b| range[b].total_cmp(&range[a]));
    big.truncate(MAX_OUTLIERS);
    big.sort_unstable();
    big
}

/// Per-column symmetric int8 weights with the `skip` rows zeroed (they go through fp32),
/// and each column's scale.
pub fn quantize_weight(w: &[f32], k: usize, n: usize, skip: &[usize]) -> (Vec<i8>, Vec<f32>) {
    let mut absmax = vec![0.0f32; n];
    for r in (0..k).filter(|r| !skip.contains(r)) {
        for (m, v) in absmax.iter_mut().zip(&w[r * n..(r + 1) * n]) {
            *m = m.max(v.abs());
        }
    }
    let scale: Vec<f32> = absmax.iter().map(|m| m.max(1e-30) / 127.0).collect();
    let mut q = vec![0i8; k * n];
    for r in (0..k).filter(|r| !skip.contains(r)) {
        for c in 0..n {
            q[r * n + c] = (w[r * n + c] / scale[c]).round().clamp(-127.0, 127.0) as i8;
        }
    }
    (q, scale)
}

/// Rewrites `model` in place. `ranges[a]` is the calibrated per-channel absolute maximum
/// of activation `a`; an activation without one keeps all channels in the integer product.
pub fn rewrite(model: &mut ModelProto, ranges: &HashMap<String, Vec<f32>>) -> Result<Summary, String> {
    let targets = targets(model);
    if targets.is_empty() {
        return Err("the graph has no MatMul by a constant fp32 weight to quantize".into());
    }
    let opset = model.opset_import.iter().find(|o| o.domain.is_empty() || o.domain == "ai.onnx").map(|o| o.version);
    let opset = opset.unwrap_or(1);
    if opset < 13 {
        return Err(format!("the graph uses opset {opset}; int8 needs opset 13 or newer (re-export the model)"));
    }
    let weights = target_weights(model, &targets)?;

    let mut b = Builder { nodes: Vec::new(), inits: Vec::new(), opset };
    b.init_f32("simlens_q/inv127", &[], &[1.0 / 127.0]);
    b.init_f32("simlens_q/eps", &[], &[1e-30]);
    b.init_f32("simlens_q/one", &[], &[1.0]);
    b.init_u8("simlens_q/zp", &[], &[128]);

    let by_node: HashMap<usize, &Target> = targets.iter().map(|t| (t.node, t)).collect();
    // Per activation: its prefix, fp32 channels and row scale.
    let mut quantized: HashMap<String, (String, Vec<usize>)> = HashMap::new();
    let mut weight_names: HashMap<(String, Vec<usize>), String> = HashMap::new();
    let mut summary = Summary::default();
    let old_nodes = std::mem::take(&mut model.graph.mut_or_insert_default().node);
    for (i, node) in old_nodes.into_iter().enumerate() {
        let Some(target) = by_node.get(&i) else {
            b.nodes.push(node);
            continue;
        };
        let (values, k, n) = &weights[&target.weight];
        let x = target.activation.as_str();
        if !quantized.contains_key(x) {
            let p = format!("simlens_q/a{}", quantized.len());
            let skip = ranges.get(x).filter(|r| r.len() == *k).map(|r| outliers(r)).unwrap_or_default();
            summary.outlier_channels += skip.len();
            quantize_activation(&mut b, x, *k, &p, &skip);
            quantized.insert(x.to_owned(), (p, skip));
            summary.activations += 1;
        }
        let (p, skip) = quantized[x].clone();
        let key = (target.weight.clone(), skip.clone());
        let wn = match weight_names.get(&key) {
            Some(w) => w.clone(),
            None => {
                let wn = format!("simlens_q/w{}", weight_names.len());
                quantized_weight(&mut b, &wn, values, (*k, *n), &skip);
                weight_names.insert(key, wn.clone());
                wn
            }
        };
        let out = node.output[0].clone();
        let tag = format!("{p}/{}", summary.matmuls);
        let product = b.node_in(
            "MatMulIntegerToFloat",
            MS_DOMAIN,
            &[&format!("{p}/q"), &format!("{wn}/q"), "simlens_q/one", &format!("{wn}/scale"), "simlens_q/zp"],
            &format!("{tag}/int"),
            vec![],
        );
        let scaled_name = if skip.is_empty() { out.clone() } else { format!("{tag}/scaled") };
        b.node("Mul", &[&product, &format!("{p}/scale")], &scaled_name, vec![]);
        if !skip.is_empty() {
            let extra =
                b.node("MatMul", &[&format!("{p}/fp32_in"), &format!("{wn}/fp32")], &format!("{tag}/fp32"), vec![]);
            b.node("Add", &[&scaled_name, &extra], &out, vec![]);
        }
        summary.matmuls += 1;
    }
    let graph = model.graph.mut_or_insert_default();
    graph.node = b.nodes;
    graph.initializer.extend(b.inits);
    if !model.opset_import.iter().any(|o| o.domain == MS_DOMAIN) {
        model.opset_import.push(OperatorSetIdProto { domain: MS_DOMAIN.into(), version: 1, ..Default::default() });
    }
    prune(model);
    Ok(summary)
}

/// Each target weight's fp32 values and shape (k × n), by name.
type Weights = HashMap<String, (Vec<f32>, usize, usize)>;

/// The fp32 values and shape (k × n) of every weight a target multiplies by.
fn target_weights(model: &ModelProto, targets: &[Target]) -> Result<Weights, String> {
    let mut map = HashMap::new();
    for t in &model.graph.initializer {
        if targets.iter().any(|x| x.weight == t.name) {
            let values = floats(t).ok_or_else(|| format!("weight `{}` is not fp32", t.name))?;
            let (k, n) = (t.dims[0] as usize, t.dims[1] as usize);
            if values.len() != k * n {
                return Err(format!("weight `{}` holds {} values for shape {k}×{n}", t.name, values.len()));
            }
            map.insert(t.name.clone(), (values, k, n));
        }
    }
    Ok(map)
}

/// The nodes that quantize activation `x` (k channels) per row under the prefix `p`:
/// `{p}/q` (uint8) and `{p}/scale` (the row's absmax); the `skip` channels are masked out
/// of it and gathered into `{p}/fp32_in` for the fp32 product.
fn quantize_activation(b: &mut Builder, x: &str, k: usize, p: &str, skip: &[usize]) {
    let mut xm = x.to_owned();
    if !skip.is_empty() {
        let mut mask = vec![1.0f32; k];
        for &j in skip {
            mask[j] = 0.0;
        }
        b.init_f32(&format!("{p}/mask"), &[k as i64], &mask);
        let idx: Vec<i64> = skip.iter().map(|&j| j as i64).collect();
        b.init_i64(&format!("{p}/outliers"), &[idx.len() as i64], &idx);
        xm = b.node("Mul", &[x, &format!("{p}/mask")], &format!("{p}/masked"), vec![]);
        b.node("Gather", &[x, &format!("{p}/outliers")], &format!("{p}/fp32_in"), vec![int("axis", -1)]);
    }
    let abs = b.node("Abs", &[&xm], &format!("{p}/abs"), vec![]);
    let max = b.reduce_max_last(&abs, &format!("{p}/max"));
    let scale = b.node("Max", &[&max, "simlens_q/eps"], &format!("{p}/scale"), vec![]);
    let unit = b.node("Div", &[&xm, &scale], &format!("{p}/unit"), vec![]);
    b.node("QuantizeLinear", &[&unit, "simlens_q/inv127", "simlens_q/zp"], &format!("{p}/q"), vec![]);
}

/// The initializers of a weight quantized per column under the name `wn`: `{wn}/q`
/// (int8), `{wn}/scale` and, for the `skip` rows, `{wn}/fp32`.
fn quantized_weight(b: &mut Builder, wn: &str, values: &[f32], (k, n): (usize, usize), skip: &[usize]) {
    let (q, scale) = quantize_weight(values, k, n, skip);
    b.init_i8(&format!("{wn}/q"), &[k as i64, n as i64], &q);
    // The activation's 1/127 is folded into the column scale.
    let folded: Vec<f32> = scale.iter().map(|s| s / 127.0).collect();
    b.init_f32(&format!("{wn}/scale"), &[n as i64], &folded);
    if !skip.is_empty() {
        let rows: Vec<f32> = skip.iter().flat_map(|&r| values[r * n..(r + 1) * n].iter().copied()).collect();
        b.init_f32(&format!("{wn}/fp32"), &[skip.len() as i64, n as i64], &rows);
    }
}

/// Removes nodes whose outputs nobody reads (the `Identity` of a replaced weight), then
/// initializers nobody reads (the fp32 weights).
fn prune(model: &mut ModelProto) {
    let graph = model.graph.mut_or_insert_default();
    let outputs: Vec<String> = graph.output.iter().map(|o| o.name.clone()).collect();
    loop {
        let mut read: std::collections::HashSet<&str> =
            graph.node.iter().flat_map(|n| n.input.iter()).map(String::as_str).collect();
        read.extend(outputs.iter().map(String::as_str));
        let dead: Vec<usize> = (0..graph.node.len())
            .filter(|&i| graph.node[i].output.iter().all(|o| o.is_empty() || !read.contains(o.as_str())))
            .collect();
        if dead.is_empty() {
            break;
        }
        for i in dead.into_iter().rev() {
            graph.node.remove(i);
        }
    }
    let read: std::collections::HashSet<String> = graph.node.iter().flat_map(|n| n.input.iter().cloned()).collect();
    graph.initializer.retain(|t| read.contains(&t.name) || outputs.contains(&t.name));
}

struct Builder {
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    opset: i64,
}

fn int(name: &str, v: i64) -> AttributeProto {
    AttributeProto { name: name.into(), type_: AttributeType::INT.into(), i: v, ..Default::default() }
}

fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto { name: name.into(), type_: AttributeType::INTS.into(), ints: v.to_vec(), ..Default::default() }
}

impl Builder {
    fn node(&mut self, op: &str, inputs: &[&str], output: &str, attrs: Vec<AttributeProto>) -> String {
        self.node_in(op, "", inputs, output, attrs)
    }

    fn node_in(&mut self, op: &str, domain: &str, inputs: &[&str], output: &str, attrs: Vec<AttributeProto>) -> String {
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| (*s).to_owned()).collect(),
            output: vec![output.to_owned()],
            name: output.to_owned(),
            op_type: op.into(),
            domain: domain.into(),
            attribute: attrs,
            ..Default::default()
        });
        output.to_owned()
    }

    /// `ReduceMax` over the last axis, keeping it: the axes are an attribute before
    /// opset 18 and an input from 18 on.
    fn reduce_max_last(&mut self, input: &str, output: &str) -> String {
        if self.opset >= 18 {
            let axes = format!("{output}/axes");
            self.init_i64(&axes, &[1], &[-1]);
            self.node("ReduceMax", &[input, &axes], output, vec![int("keepdims", 1)])
        } else {
            self.node("ReduceMax", &[input], output, vec![ints("axes", &[-1]), int("keepdims", 1)])
        }
    }

    fn tensor(&mut self, name: &str, dims: &[i64], data_type: i32, raw_data: Vec<u8>) {
        self.inits.push(TensorProto {
            name: name.into(),
            dims: dims.to_vec(),
            data_type,
            raw_data,
            ..Default::default()
        });
    }

    fn init_f32(&mut self, name: &str, dims: &[i64], v: &[f32]) {
        self.tensor(name, dims, FLOAT, v.iter().flat_map(|x| x.to_le_bytes()).collect());
    }

    fn init_i64(&mut self, name: &str, dims: &[i64], v: &[i64]) {
        self.tensor(name, dims, INT64, v.iter().flat_map(|x| x.to_le_bytes()).collect());
    }

    fn init_i8(&mut self, name: &str, dims: &[i64], v: &[i8]) {
        self.tensor(name, dims, INT8, v.iter().map(|x| *x as u8).collect());
    }

    fn init_u8(&mut self, name: &str, dims: &[i64], v: &[u8]) {
        self.tensor(name, dims, UINT8, v.to_vec());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outliers_are_the_few_channels_far_past_the_median() {
        let mut range = vec![1.0f32; 32];
        range[5] = 20.0;
        range[9] = 5.0;
        range[11] = 3.0; // below OUTLIER_RATIO × the median
        assert_eq!(outliers(&range), vec![5, 9]);
        let many: Vec<f32> = (0..32).map(|i| if i < 10 { 100.0 + i as f32 } else { 1.0 }).collect();
        assert_eq!(outliers(&many), vec![6, 7, 8, 9], "the largest MAX_OUTLIERS");
        assert!(outliers(&[0.0; 8]).is_empty());
    }

    #[test]
    fn weight_quantization_is_per_column_and_skips_fp32_rows() {
        // 3 × 2: column 0 spans ±2, column 1 spans ±0.5; row 2 is an fp32 channel.
        let w = [2.0, 0.5, -1.0, -0.25, 100.0, 100.0];
        let (q, s) = quantize_weight(&w, 3, 2, &[2]);
        assert_eq!(q, vec![127, 127, -64, -64, 0, 0]);
        assert!((s[0] - 2.0 / 127.0).abs() < 1e-7 && (s[1] - 0.5 / 127.0).abs() < 1e-7);
    }
}
