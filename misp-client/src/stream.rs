//! Incremental decoding of restSearch bodies: items are decoded one by one as the bytes
//! arrive, so a million attributes take the memory of one.
//!
//! MISP answers `{"response": [{"Event": {...}}, ...]}` for events, `{"response": [{"Object":
//! {...}}, ...]}` for objects and `{"response": {"Attribute": [...]}}` for attributes (or
//! `{"response": []}` when none match). [`Splitter`] finds the array and cuts it into element
//! slices; each is decoded with serde on its own.

use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::{Error, Result};

/// Which restSearch answer to expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `{"response": [{"Event": {...}}]}`.
    Events,
    /// `{"response": {"Attribute": [...]}}`.
    Attributes,
    /// `{"response": [{"Object": {...}}]}`.
    Objects,
}

#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// An element: `buf[start..end]`.
    Item(usize, usize),
    /// More bytes are needed.
    More,
    /// The array ended.
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Prefix,
    Array,
    Done,
}

/// Cuts the target array of a restSearch body into element slices, resumably.
#[derive(Debug)]
pub(crate) struct Splitter {
    shape: Shape,
    buf: BytesMut,
    pos: usize,
    phase: Phase,
    // Scan state of the element being read, to resume without rescanning.
    start: Option<usize>,
    depth: u32,
    in_string: bool,
    escaped: bool,
}

impl Splitter {
    pub(crate) fn new(shape: Shape) -> Self {
        Self {
            shape,
            buf: BytesMut::new(),
            pos: 0,
            phase: Phase::Prefix,
            start: None,
            depth: 0,
            in_string: false,
            escaped: false,
        }
    }

    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        // Drop what was consumed before growing the buffer.
        let keep_from = self.start.unwrap_or(self.pos);
        if keep_from > 0 && keep_from * 2 >= self.buf.len() {
            self.buf.advance(keep_from);
            self.pos -= keep_from;
            if let Some(s) = self.start.as_mut() {
                *s -= keep_from;
            }
        }
        self.buf.extend_from_slice(chunk);
    }

    fn skip_ws(&mut self) {
        while self.pos < self.buf.len() && self.buf[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    /// Matches `{"response":[` or `{"response":{"Attribute":[`; `Ok(false)` when more bytes
    /// are needed.
    fn prefix(&mut self) -> Result<bool> {
        let save = self.pos;
        let expect = |this: &mut Self, token: &[u8]| -> Option<bool> {
            this.skip_ws();
            let end = this.pos + token.len();
            if end > this.buf.len() {
                return if this.buf[this.pos..].iter().zip(token).all(|(a, b)| a == b) {
                    None
                } else {
                    Some(false)
                };
            }
            if &this.buf[this.pos..end] == token {
                this.pos = end;
                Some(true)
            } else {
                Some(false)
            }
        };
        let mut steps: Vec<&[u8]> = vec![b"{", b"\"response\"", b":"];
        let mut attribute_form = false;
        loop {
            for t in &steps {
                match expect(self, t) {
                    None => {
                        self.pos = save;
                        return Ok(false);
                    }
                    Some(true) => {}
                    Some(false) => return Err(self.unexpected()),
                }
            }
            self.skip_ws();
            let Some(&next) = self.buf.get(self.pos) else {
                self.pos = save;
                return Ok(false);
            };
            match (next, attribute_form, self.shape) {
                (b'[', _, _) => {
                    self.pos += 1;
                    self.phase = Phase::Array;
                    return Ok(true);
                }
                (b'{', false, Shape::Attributes) => {
                    self.pos += 1;
                    attribute_form = true;
                    steps = vec![b"\"Attribute\"", b":"];
                }
                _ => return Err(self.unexpected()),
            }
        }
    }

    fn unexpected(&self) -> Error {
        let shown: String =
            String::from_utf8_lossy(&self.buf[..self.buf.len().min(200)]).into_owned();
        Error::InvalidInput(format!(
            "a restSearch answer should start with {{\"response\": ...}}, got {shown:?}"
        ))
    }

    /// The next element, `More`, or `End`.
    fn step(&mut self) -> Result<Step> {
        if self.phase == Phase::Prefix && !self.prefix()? {
            return Ok(Step::More);
        }
        if self.phase == Phase::Done {
            return Ok(Step::End);
        }
        if self.start.is_none() {
            loop {
                self.skip_ws();
                match self.buf.get(self.pos) {
                    None => return Ok(Step::More),
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        self.phase = Phase::Done;
                        return Ok(Step::End);
                    }
                    Some(_) => break,
                }
            }
            self.start = Some(self.pos);
            self.depth = 0;
            self.in_string = false;
            self.escaped = false;
        }
        let start = self.start.unwrap_or(self.pos);
        while self.pos < self.buf.len() {
            let b = self.buf[self.pos];
            self.pos += 1;
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' if self.depth > 0 => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.start = None;
                        return Ok(Step::Item(start, self.pos));
                    }
                }
                // A scalar element ends before `,` or `]` at depth 0.
                b',' | b']' if self.depth == 0 => {
                    self.pos -= 1;
                    self.start = None;
                    return Ok(Step::Item(start, self.pos));
                }
                _ => {}
            }
        }
        Ok(Step::More)
    }

    /// The next complete element, if one is in the buffer.
    pub(crate) fn next_item(&mut self) -> Result<Option<Bytes>> {
        match self.step()? {
            Step::Item(s, e) => Ok(Some(Bytes::copy_from_slice(&self.buf[s..e]))),
            Step::More | Step::End => Ok(None),
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }
}

#[derive(Deserialize)]
struct EventEnvelope<T> {
    #[serde(rename = "Event")]
    inner: T,
}

#[derive(Deserialize)]
struct ObjectEnvelope<T> {
    #[serde(rename = "Object")]
    inner: T,
}

fn decode_item<T: DeserializeOwned>(shape: Shape, item: &[u8]) -> Result<T> {
    let r = match shape {
        Shape::Events => soc_http::decode_json::<EventEnvelope<T>>(item).map(|e| e.inner),
        Shape::Objects => soc_http::decode_json::<ObjectEnvelope<T>>(item).map(|e| e.inner),
        Shape::Attributes => soc_http::decode_json::<T>(item),
    };
    Ok(r?)
}

/// Decodes the items of a restSearch body as its bytes arrive.
pub(crate) fn items<T, S>(bytes: S, shape: Shape) -> impl Stream<Item = Result<T>>
where
    T: DeserializeOwned,
    S: Stream<Item = Result<Bytes>>,
{
    let state = (Box::pin(bytes), Splitter::new(shape), false);
    futures_util::stream::try_unfold(
        state,
        move |(mut bytes, mut splitter, mut ended)| async move {
            loop {
                if let Some(item) = splitter.next_item()? {
                    let v: T = decode_item(shape, &item)?;
                    return Ok(Some((v, (bytes, splitter, ended))));
                }
                if splitter.is_done() || ended {
                    if !splitter.is_done() {
                        return Err(Error::InvalidInput(
                            "the restSearch answer ended before its list did".into(),
                        ));
                    }
                    return Ok(None);
                }
                match bytes.next().await {
                    Some(chunk) => splitter.feed(&chunk?),
                    None => ended = true,
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn split_all(shape: Shape, body: &[u8], chunk: usize) -> Result<Vec<Value>> {
        let mut s = Splitter::new(shape);
        let mut out = Vec::new();
        for c in body.chunks(chunk.max(1)) {
            s.feed(c);
            while let Some(item) = s.next_item()? {
                out.push(decode_item::<Value>(shape, &item)?);
            }
        }
        assert!(s.is_done(), "the array was closed");
        Ok(out)
    }

    #[test]
    fn attributes_at_every_chunk_boundary() {
        let body = br#" { "response" : { "Attribute" : [ {"id":"1","value":"a,]}\"{["}, {"id":"2","value":"b"} ,{"id":"3","Tag":[{"name":"tlp:amber"}]} ] } } "#;
        for chunk in 1..body.len() {
            let items = split_all(Shape::Attributes, body, chunk).unwrap();
            assert_eq!(items.len(), 3, "chunk {chunk}");
            assert_eq!(items[0]["value"], "a,]}\"{[");
            assert_eq!(items[2]["Tag"][0]["name"], "tlp:amber");
        }
    }

    #[test]
    fn events_and_objects_are_unwrapped() {
        let body = br#"{"response":[{"Event":{"id":"7","info":"phish"}},{"Event":{"id":"8","info":"c2"}}]}"#;
        let items = split_all(Shape::Events, body, 5).unwrap();
        assert_eq!(items[1]["info"], "c2");
        let body = br#"{"response":[{"Object":{"id":"3","name":"file"}}]}"#;
        assert_eq!(
            split_all(Shape::Objects, body, 3).unwrap()[0]["name"],
            "file"
        );
    }

    #[test]
    fn empty_answers_in_both_forms() {
        assert!(split_all(Shape::Attributes, br#"{"response": []}"#, 2)
            .unwrap()
            .is_empty());
        assert!(
            split_all(Shape::Attributes, br#"{"response": {"Attribute": []}}"#, 2)
                .unwrap()
                .is_empty()
        );
        assert!(split_all(Shape::Events, br#"{"response":[]}"#, 1)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn other_bodies_are_refused_with_what_came() {
        let mut s = Splitter::new(Shape::Events);
        s.feed(br#"{"name":"Not Found","message":"x"}"#);
        let e = s.next_item().unwrap_err();
        assert!(e.to_string().contains("Not Found"), "{e}");
    }

    #[test]
    fn memory_stays_bounded_by_one_item() {
        let mut body = br#"{"response":{"Attribute":["#.to_vec();
        for i in 0..10_000 {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(
                format!(r#"{{"id":"{i}","value":"{}"}}"#, "x".repeat(100)).as_bytes(),
            );
        }
        body.extend_from_slice(b"]}}");
        let mut s = Splitter::new(Shape::Attributes);
        let mut n = 0;
        let mut max_buf = 0;
        for c in body.chunks(4096) {
            s.feed(c);
            max_buf = max_buf.max(s.buf.len());
            while s.next_item().unwrap().is_some() {
                n += 1;
            }
        }
        assert_eq!(n, 10_000);
        assert!(max_buf < 3 * 4096, "buffer peaked at {max_buf} bytes");
    }

    /// xorshift64*: a deterministic source for the robustness sweep.
    fn next(seed: &mut u64) -> u64 {
        *seed ^= *seed >> 12;
        *seed ^= *seed << 25;
        *seed ^= *seed >> 27;
        seed.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Cut, corrupted and random bodies in random chunks: the splitter and the item decoder
    /// answer items or an error and never panic. (Once the item array is closed every item has
    /// arrived; what follows it is not checked.)
    #[test]
    fn broken_bodies_never_panic() {
        let mut completed = 0;
        let good: &[(Shape, &[u8])] = &[
            (Shape::Attributes, br#"{"response":{"Attribute":[{"id":"1","value":"a\"]"},{"id":"2","Tag":[{"name":"x"}]}]}}"#),
            (Shape::Events, br#"{"response":[{"Event":{"id":"7","info":"p{h}i[s]h"}},{"Event":{"id":"8"}}]}"#),
            (Shape::Objects, br#"{"response":[{"Object":{"id":"3","Attribute":[]}}]}"#),
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for round in 0..3000 {
            let (shape, body) = good[round % good.len()];
            let mut b = body.to_vec();
            match next(&mut seed) % 4 {
                0 => b.truncate((next(&mut seed) as usize) % b.len()),
                1 => {
                    let at = (next(&mut seed) as usize) % b.len();
                    b[at] = (next(&mut seed) & 0xff) as u8;
                }
                2 => {
                    b = (0..(next(&mut seed) % 64))
                        .map(|_| (next(&mut seed) & 0xff) as u8)
                        .collect()
                }
                _ => {
                    let at = (next(&mut seed) as usize) % b.len();
                    b.insert(at, b"{}[],\"\\:"[(next(&mut seed) % 8) as usize]);
                }
            }
            let chunk = 1 + (next(&mut seed) % 17) as usize;
            let mut sp = Splitter::new(shape);
            let mut failed = false;
            for c in b.chunks(chunk) {
                sp.feed(c);
                loop {
                    match sp.next_item() {
                        Ok(Some(item)) => {
                            if decode_item::<Value>(shape, &item).is_err() {
                                failed = true;
                                break;
                            }
                        }
                        Ok(None) => break,
                        Err(_) => {
                            failed = true;
                            break;
                        }
                    }
                }
                if failed {
                    break;
                }
            }
            completed += usize::from(!failed && sp.is_done());
        }
        assert!(
            completed > 0,
            "some bodies stay well-formed after a harmless change"
        );
    }
}
