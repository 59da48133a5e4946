//! Tokenizer set-up and batch encoding.
//!
//! The model's `tokenizer.json` is used as shipped except for truncation and padding:
//! exports often carry the training set-up (MiniLM's file truncates at 128 and pads to
//! a fixed 128), so truncation is set to the model's maximum sequence length and no
//! padding is applied here; [`crate::engine::embed`] pads each batch to its longest row.

use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use crate::{Error, Result};

/// One tokenized sentence, as the model sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// The word pieces, special tokens included.
    pub tokens: Vec<String>,
    /// Their vocabulary ids (the seed's "token ids").
    pub ids: Vec<i64>,
    /// 1 for each real token (the seed's "mask ids").
    pub attention_mask: Vec<i64>,
    /// Segment of each token (the seed's "segment ids"): 0 for a single sentence.
    pub type_ids: Vec<i64>,
    /// Whether the text was longer than the model's maximum and was cut.
    pub truncated: bool,
    /// Whether each token is one the tokenizer added (`[CLS]`, `[SEP]`, `<s>`…).
    #[serde(skip)]
    pub special: Vec<bool>,
}

impl TokenInfo {
    /// The same sequence without token `i` (for occlusion).
    pub fn without(&self, i: usize) -> TokenInfo {
        let drop = |v: &[i64]| v.iter().enumerate().filter(|(k, _)| *k != i).map(|(_, x)| *x).collect();
        TokenInfo {
            tokens: self.tokens.iter().enumerate().filter(|(k, _)| *k != i).map(|(_, t)| t.clone()).collect(),
            ids: drop(&self.ids),
            attention_mask: drop(&self.attention_mask),
            type_ids: drop(&self.type_ids),
            truncated: self.truncated,
            special: self.special.iter().enumerate().filter(|(k, _)| *k != i).map(|(_, s)| *s).collect(),
        }
    }
}

/// A tokenizer configured for one model.
pub struct TextTokenizer {
    inner: Tokenizer,
    max_length: usize,
}

impl TextTokenizer {
    /// Loads `tokenizer.json` and sets truncation to `max_length` tokens (special tokens included).
    pub fn from_file(path: &Path, max_length: usize) -> Result<Self> {
        let mut inner = Tokenizer::from_file(path)
            .map_err(|e| Error::model(path, format!("tokenizer.json cannot be read as a tokenizer: {e}")))?;
        inner
            .with_truncation(Some(TruncationParams {
                direction: TruncationDirection::Right,
                max_length,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
            }))
            .map_err(|e| Error::model(path, format!("cannot set truncation to {max_length}: {e}")))?;
        inner.with_padding(None);
        Ok(Self { inner, max_length })
    }

    /// The maximum sequence length, special tokens included.
    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// Vocabulary size including added tokens.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Tokenizes one sentence with special tokens.
    pub fn encode(&self, text: &str) -> Result<TokenInfo> {
        let enc = self.inner.encode(text, true).map_err(|e| Error::Tokenize(e.to_string()))?;
        Ok(to_info(&enc))
    }

    /// Tokenizes a sentence pair (`[CLS] a [SEP] b [SEP]`, segment ids 0 then 1).
    pub fn encode_pair(&self, a: &str, b: &str) -> Result<TokenInfo> {
        let enc = self.inner.encode((a, b), true).map_err(|e| Error::Tokenize(e.to_string()))?;
        Ok(to_info(&enc))
    }

    /// Tokenizes many sentences in parallel, keeping their order.
    pub fn encode_many(&self, texts: &[&str]) -> Result<Vec<TokenInfo>> {
        texts.par_iter().map(|t| self.encode(t)).collect()
    }
}

fn to_info(enc: &tokenizers::Encoding) -> TokenInfo {
    let widen = |v: &[u32]| v.iter().map(|&x| i64::from(x)).collect::<Vec<_>>();
    TokenInfo {
        tokens: enc.get_tokens().to_vec(),
        ids: widen(enc.get_ids()),
        attention_mask: widen(enc.get_attention_mask()),
        type_ids: widen(enc.get_type_ids()),
        truncated: !enc.get_overflowing().is_empty(),
        special: enc.get_special_tokens_mask().iter().map(|&m| m == 1).collect(),
    }
}
