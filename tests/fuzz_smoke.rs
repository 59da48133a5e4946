//! A short, deterministic fuzz run that CI can afford: the cargo-fuzz seed corpora
//! (`fuzz/corpus/`) and 20,000 byte-level mutations of them go through the importers
//! and the session loader. The long coverage-guided runs use `cargo fuzz` (see
//! `fuzz/README.md`); this keeps their properties checked on every test run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use simlens::io::sentences::{SentenceSet, SetFormat};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn corpus(name: &str) -> Vec<Vec<u8>> {
    let dir = common::root().join("fuzz").join("corpus").join(name);
    let mut out: Vec<Vec<u8>> =
        std::fs::read_dir(&dir).unwrap().map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
    out.sort();
    assert!(!out.is_empty(), "seed corpus {name} is empty");
    out
}

fn mutate(rng: &mut XorShift, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    const TOKENS: [&[u8]; 10] =
        [b"\"", b",", b"\t", b"\n", b"\r\n", b"# ", b"\xef\xbb\xbf", b"\xff", b"\xc3", "é😀".as_bytes()];
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(v.len() + 1);
        match rng.below(4) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            1 if !v.is_empty() => {
                let end = (at + rng.below(8)).min(v.len());
                v.drain(at.min(end)..end);
            }
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            _ => {
                let len = v.len();
                let from = rng.below(len);
                let piece: Vec<u8> = v[from..(from + rng.below(16)).min(len)].to_vec();
                v.splice(at..at, piece);
            }
        }
    }
    v
}

#[test]
fn importers_never_panic_and_round_trip_what_they_accept() {
    let seeds = corpus("import");
    let mut rng = XorShift(0x5eed_1234_abcd_ef01);
    let mut accepted = 0;
    for k in 0..20_000 {
        let input = mutate(&mut rng, &seeds[k % seeds.len()]);
        let Some((&sel, bytes)) = input.split_first() else {
            continue;
        };
        let format = [SetFormat::Text, SetFormat::Csv, SetFormat::Tsv][sel as usize % 3];
        if let Ok(set) = SentenceSet::parse(bytes, format) {
            accepted += 1;
            let mut out = Vec::new();
            set.write(&mut out, format).unwrap();
            let again = SentenceSet::parse(&out, format).unwrap_or_else(|e| panic!("{format:?} {input:?}: {e}"));
            assert_eq!(again.len(), set.len(), "{format:?} {input:?}");
        }
    }
    assert!(accepted > 1000, "the mutations still exercise the accepting paths ({accepted})");
}

#[test]
fn session_loader_never_panics() {
    let seeds = corpus("session");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.json");
    let mut rng = XorShift(0x0dd_f00d_cafe_beef);
    for k in 0..3_000 {
        let input = mutate(&mut rng, &seeds[k % seeds.len()]);
        std::fs::write(&path, &input).unwrap();
        let loaded = simlens::session::load(&path);
        serde_json::to_string(&loaded.state).unwrap();
        for e in std::fs::read_dir(dir.path()).unwrap() {
            std::fs::remove_file(e.unwrap().path()).ok();
        }
    }
}
