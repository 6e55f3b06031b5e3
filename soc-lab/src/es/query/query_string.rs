//! The `query_string` syntax: a lexer and a recursive-descent parser to a compiled query.

use serde_json::Value;

use super::{make_bound, Query, QueryError};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Phrase(String),
    Open,
    Close,
    And,
    Or,
    Not,
    Plus,
    Minus,
}

fn lex(s: &str) -> Result<Vec<Tok>, QueryError> {
    let mut out = Vec::new();
    let mut it = s.chars().peekable();
    while let Some(&c) = it.peek() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                it.next();
            }
            '(' => {
                it.next();
                out.push(Tok::Open);
            }
            ')' => {
                it.next();
                out.push(Tok::Close);
            }
            '"' => {
                it.next();
                let mut p = String::new();
                let mut closed = false;
                while let Some(c) = it.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => p.extend(it.next()),
                        c => p.push(c),
                    }
                }
                if !closed {
                    return Err(QueryError {
                        kind: "query_shard_exception",
                        reason: format!("Failed to parse query [{s}]"),
                    });
                }
                out.push(Tok::Phrase(p));
            }
            '+' if out.last().is_none_or(|t| !matches!(t, Tok::Word(_))) => {
                it.next();
                out.push(Tok::Plus);
            }
            '-' if out.last().is_none_or(|t| !matches!(t, Tok::Word(_))) => {
                it.next();
                out.push(Tok::Minus);
            }
            '!' => {
                it.next();
                out.push(Tok::Not);
            }
            _ => {
                let mut w = String::new();
                let mut in_range = false;
                while let Some(&c) = it.peek() {
                    if c == '\\' {
                        it.next();
                        w.extend(it.next());
                        continue;
                    }
                    if (c == '[' || c == '{') && w.ends_with(':') {
                        in_range = true;
                    }
                    if in_range {
                        w.push(c);
                        it.next();
                        if c == ']' || c == '}' {
                            break;
                        }
                        continue;
                    }
                    if c.is_whitespace() || c == '(' || c == ')' {
                        break;
                    }
                    if c == '"' && w.ends_with(':') {
                        break;
                    }
                    w.push(c);
                    it.next();
                }
                if w.ends_with(':') && it.peek() == Some(&'"') {
                    it.next();
                    let mut p = String::new();
                    for c in it.by_ref() {
                        if c == '"' {
                            break;
                        }
                        p.push(c);
                    }
                    out.push(Tok::Word(format!("{w}\"{p}\"")));
                    continue;
                }
                if w.ends_with(':') && it.peek() == Some(&'(') {
                    // field:(a OR b) applies the field to a group.
                    out.push(Tok::Word(w));
                    continue;
                }
                match w.as_str() {
                    "AND" | "&&" => out.push(Tok::And),
                    "OR" | "||" => out.push(Tok::Or),
                    "NOT" => out.push(Tok::Not),
                    _ => out.push(Tok::Word(w)),
                }
            }
        }
    }
    Ok(out)
}

struct QsParser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    field: String,
    and: bool,
    text: &'a str,
}

pub(super) fn query_string(
    text: &str,
    default_field: &str,
    and: bool,
) -> Result<Query, QueryError> {
    let toks = lex(text)?;
    let mut p = QsParser {
        toks,
        pos: 0,
        field: default_field.to_string(),
        and,
        text,
    };
    let q = p.expr()?;
    if p.pos < p.toks.len() {
        return Err(p.fail());
    }
    Ok(q)
}

impl QsParser<'_> {
    fn fail(&self) -> QueryError {
        QueryError {
            kind: "query_shard_exception",
            reason: format!("Failed to parse query [{}]", self.text),
        }
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    /// A sequence of clauses joined by AND/OR (AND binds tighter) or the default operator.
    fn expr(&mut self) -> Result<Query, QueryError> {
        // Groups of AND-ed clauses, OR-ed together.
        let mut must: Vec<Query> = Vec::new();
        let mut must_not: Vec<Query> = Vec::new();
        let mut should: Vec<Query> = Vec::new();
        let mut last_was_and = false;
        let mut pending: Option<(Query, i8)> = None; // clause, and its sign: 1 must, -1 not, 0 default
        let flush = |pending: Option<(Query, i8)>,
                     and_next: bool,
                     must: &mut Vec<Query>,
                     must_not: &mut Vec<Query>,
                     should: &mut Vec<Query>,
                     default_and: bool| {
            if let Some((q, sign)) = pending {
                match sign {
                    1 => must.push(q),
                    -1 => must_not.push(q),
                    _ if and_next || default_and => must.push(q),
                    _ => should.push(q),
                }
            }
        };
        loop {
            match self.peek() {
                None | Some(Tok::Close) => break,
                Some(Tok::And) => {
                    self.pos += 1;
                    if let Some((q, s)) = pending.take() {
                        let sign = if s == 0 { 1 } else { s };
                        flush(
                            Some((q, sign)),
                            true,
                            &mut must,
                            &mut must_not,
                            &mut should,
                            self.and,
                        );
                    }
                    last_was_and = true;
                    continue;
                }
                Some(Tok::Or) => {
                    self.pos += 1;
                    flush(
                        pending.take(),
                        false,
                        &mut must,
                        &mut must_not,
                        &mut should,
                        false,
                    );
                    last_was_and = false;
                    continue;
                }
                _ => {}
            }
            let (clause, mut sign) = self.unary()?;
            if last_was_and && sign == 0 {
                sign = 1;
            }
            flush(
                pending.take(),
                false,
                &mut must,
                &mut must_not,
                &mut should,
                self.and,
            );
            pending = Some((clause, sign));
            last_was_and = false;
        }
        flush(
            pending.take(),
            false,
            &mut must,
            &mut must_not,
            &mut should,
            self.and,
        );
        if must.len() == 1 && should.is_empty() && must_not.is_empty() {
            return Ok(must.remove(0));
        }
        if should.len() == 1 && must.is_empty() && must_not.is_empty() {
            return Ok(should.remove(0));
        }
        if must.is_empty() && should.is_empty() && !must_not.is_empty() {
            must.push(Query::All);
        }
        let msm = usize::from(must.is_empty() && !should.is_empty());
        Ok(Query::Bool {
            must,
            must_not,
            should,
            msm,
        })
    }

    fn unary(&mut self) -> Result<(Query, i8), QueryError> {
        match self.peek() {
            Some(Tok::Not) | Some(Tok::Minus) => {
                self.pos += 1;
                let (q, _) = self.unary()?;
                Ok((q, -1))
            }
            Some(Tok::Plus) => {
                self.pos += 1;
                let (q, _) = self.unary()?;
                Ok((q, 1))
            }
            _ => Ok((self.primary()?, 0)),
        }
    }

    fn primary(&mut self) -> Result<Query, QueryError> {
        let tok = self.peek().cloned().ok_or_else(|| self.fail())?;
        self.pos += 1;
        match tok {
            Tok::Open => {
                let q = self.expr()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(self.fail());
                }
                self.pos += 1;
                Ok(q)
            }
            Tok::Phrase(p) => Ok(Query::Phrase {
                field: self.field.clone(),
                text: p,
            }),
            Tok::Word(w) => {
                if let Some(field) = w.strip_suffix(':') {
                    if self.peek() == Some(&Tok::Open) {
                        let saved = std::mem::replace(&mut self.field, field.to_string());
                        let q = self.primary();
                        self.field = saved;
                        return q;
                    }
                }
                Ok(self.leaf(&w))
            }
            _ => Err(self.fail()),
        }
    }

    fn leaf(&self, w: &str) -> Query {
        let (field, value) = match w.split_once(':') {
            Some((f, v)) if !f.is_empty() && !f.starts_with('[') => (f.to_string(), v.to_string()),
            _ => (self.field.clone(), w.to_string()),
        };
        if let Some(p) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            return Query::Phrase {
                field,
                text: p.to_string(),
            };
        }
        if field == "_exists_" {
            return Query::Exists(value);
        }
        if (value.starts_with('[') || value.starts_with('{'))
            && (value.ends_with(']') || value.ends_with('}'))
        {
            let inner = &value[1..value.len() - 1];
            let (lo, hi) = inner.split_once(" TO ").unwrap_or((inner, "*"));
            let now = crate::util::now_ms();
            let lo_inc = value.starts_with('[');
            let hi_inc = value.ends_with(']');
            let b = |s: &str, up: bool| {
                let s = s.trim();
                (s != "*").then(|| make_bound(&Value::String(s.to_string()), now, up))
            };
            return Query::Range {
                field,
                gt: if lo_inc { None } else { b(lo, true) },
                gte: if lo_inc { b(lo, false) } else { None },
                lt: if hi_inc { None } else { b(hi, false) },
                lte: if hi_inc { b(hi, true) } else { None },
            };
        }
        for (op, up) in [(">=", false), ("<=", true), (">", true), ("<", false)] {
            if let Some(v) = value.strip_prefix(op) {
                let b = Some(make_bound(
                    &Value::String(v.to_string()),
                    crate::util::now_ms(),
                    up,
                ));
                let (mut gt, mut gte, mut lt, mut lte) = (None, None, None, None);
                match op {
                    ">=" => gte = b,
                    "<=" => lte = b,
                    ">" => gt = b,
                    _ => lt = b,
                }
                return Query::Range {
                    field,
                    gt,
                    gte,
                    lt,
                    lte,
                };
            }
        }
        if value == "*" {
            return Query::Exists(field);
        }
        if value.contains('*') || value.contains('?') {
            return Query::Wildcard {
                field,
                pattern: value,
                ci: true,
            };
        }
        Query::Match {
            field,
            text: value,
            all: self.and,
            msm: 1,
        }
    }
}
