//! A fast, deterministic stand-in for a real model, for UI tests.
//!
//! It hashes lowercase words into a fixed number of dimensions (a bag of words), so
//! sentences that share words are similar. It never replaces the ONNX path in the
//! tests that check numbers; it only keeps UI tests fast.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::embed::{Embedder, Embeddings, ModelInfo, Progress, TokenVectors};
use super::pooling::{Pooling, normalize};
use super::tokenize::TokenInfo;
use crate::{Error, Result};

/// How the fake behaves on `embed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FakeMode {
    /// Works.
    #[default]
    Normal,
    /// Returns an error.
    Fail,
    /// Panics, as a broken native library might.
    Panic,
}

/// Bag-of-words hashing embedder.
#[derive(Debug, Clone)]
pub struct FakeEmbedder {
    info: ModelInfo,
    /// Behaviour of the next calls.
    pub mode: FakeMode,
    /// Sleep per sentence, to test progress and cancellation.
    pub delay: Duration,
    /// Number of sentences embedded so far (shared with clones).
    pub calls: Arc<AtomicUsize>,
}

impl FakeEmbedder {
    /// A fake with `dim`-long vectors named `name`.
    pub fn new(name: &str, dim: usize) -> Self {
        Self {
            info: ModelInfo {
                name: name.to_owned(),
                dir: PathBuf::from(name),
                dim,
                max_length: 128,
                default_pooling: Pooling::Mean,
                poolings: vec![Pooling::Mean, Pooling::Cls],
                inputs: vec!["input_ids".into(), "attention_mask".into()],
                outputs: vec!["last_hidden_state".into()],
                fingerprint: format!("fake:{name}:{dim}"),
                notes: Vec::new(),
                precision: super::Precision::Fp32,
                shipped: Vec::new(),
            },
            mode: FakeMode::Normal,
            delay: Duration::ZERO,
            calls: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Lets the fake offer `pooled` too, as an ALBERT export would.
    pub fn with_pooled_output(mut self) -> Self {
        self.info.poolings.push(Pooling::Pooled);
        self.info.outputs.push("pooler_output".into());
        self
    }

    /// Says it embeds at `precision` (its vectors do not change: it is a fake), with a
    /// fingerprint of its own, as a real model's other graph has.
    pub fn with_precision(mut self, precision: super::Precision) -> Self {
        self.info.fingerprint = format!("{}:{precision}", self.info.fingerprint);
        self.info.precision = precision;
        self
    }

    fn words(text: &str) -> impl Iterator<Item = String> + '_ {
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
    }

    fn hash(word: &str, salt: u64) -> u64 {
        // FNV-1a: stable across runs and platforms, unlike std's hasher.
        let mut h = 0xcbf2_9ce4_8422_2325u64 ^ salt;
        for b in word.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    }
}

impl FakeEmbedder {
    /// The vector of one word (or, for `[CLS]`, the shared component), unnormalised.
    fn word_vector(&self, word: &str, salt: u64) -> Vec<f32> {
        let mut v = vec![0.0f32; self.info.dim];
        let h = Self::hash(word, salt);
        v[(h >> 1) as usize % self.info.dim] += if h & 1 == 0 { 1.0 } else { -1.0 };
        v
    }
}

impl Embedder for FakeEmbedder {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn embed(&mut self, texts: &[&str], pooling: Pooling, progress: Progress<'_>) -> Result<Embeddings> {
        match self.mode {
            FakeMode::Normal => {}
            FakeMode::Fail => {
                return Err(Error::ort("running the model", "the fake embedder was told to fail"));
            }
            FakeMode::Panic => panic!("the fake embedder was told to panic"),
        }
        if !self.info.poolings.contains(&pooling) {
            return Err(Error::PoolingUnavailable {
                pooling: pooling.to_string(),
                model: self.info.name.clone(),
                why: "the fake has no pooled output".into(),
            });
        }
        let dim = self.info.dim;
        let salt = match pooling {
            Pooling::Mean => 0,
            Pooling::Cls => 1,
            Pooling::Pooled => 2,
        };
        let mut data = vec![0.0f32; texts.len() * dim];
        for (i, text) in texts.iter().enumerate() {
            if !self.delay.is_zero() {
                std::thread::sleep(self.delay);
            }
            let row = &mut data[i * dim..(i + 1) * dim];
            // A shared component keeps every pair mildly similar, as real models are.
            row[0] = 0.5;
            for w in Self::words(text) {
                let h = Self::hash(&w, salt);
                let sign = if h & 1 == 0 { 1.0 } else { -1.0 };
                row[(h >> 1) as usize % dim] += sign;
            }
            normalize(row);
            self.calls.fetch_add(1, Ordering::Relaxed);
            if !progress(i + 1, texts.len()) {
                return Err(Error::Cancelled);
            }
        }
        Ok(Embeddings { dim, data, truncated: Vec::new() })
    }

    fn tokens(&self, text: &str) -> Result<TokenInfo> {
        let mut tokens = vec!["[CLS]".to_owned()];
        tokens.extend(Self::words(text));
        tokens.push("[SEP]".to_owned());
        let ids = tokens.iter().map(|t| (Self::hash(t, 0) % 30_000) as i64).collect::<Vec<_>>();
        let n = ids.len();
        let mut special = vec![false; n];
        // `[CLS]` and `[SEP]`, as a BERT tokenizer adds them.
        special[0] = true;
        special[n - 1] = true;
        Ok(TokenInfo { tokens, ids, attention_mask: vec![1; n], type_ids: vec![0; n], truncated: false, special })
    }

    /// Vectors whose mean is the sentence's unnormalised vector: `[CLS]` carries the shared
    /// component, each word its hashed direction, `[SEP]` nothing (all scaled by the count).
    fn token_vectors(&mut self, texts: &[&str]) -> Result<Vec<TokenVectors>> {
        texts
            .iter()
            .map(|text| {
                let tokens = self.tokens(text)?;
                let n = tokens.tokens.len() as f32;
                let dim = self.info.dim;
                let mut vectors = Vec::with_capacity(tokens.tokens.len() * dim);
                for (k, t) in tokens.tokens.iter().enumerate() {
                    let mut v = if k == 0 {
                        let mut v = vec![0.0f32; dim];
                        v[0] = 0.5;
                        v
                    } else if tokens.special[k] {
                        vec![0.0f32; dim]
                    } else {
                        self.word_vector(t, 0)
                    };
                    v.iter_mut().for_each(|x| *x *= n);
                    vectors.extend(v);
                }
                Ok(TokenVectors { tokens, dim, vectors })
            })
            .collect()
    }

    fn embed_tokens(&mut self, rows: &[TokenInfo], pooling: Pooling) -> Result<Embeddings> {
        let texts: Vec<String> = rows
            .iter()
            .map(|r| {
                r.tokens
                    .iter()
                    .zip(&r.special)
                    .filter(|(_, s)| !**s)
                    .map(|(t, _)| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        self.embed(&refs, pooling, &mut |_, _| true)
    }
}
