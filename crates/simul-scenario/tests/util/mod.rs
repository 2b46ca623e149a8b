//! Small validators for the exports: a JSON parser and an XML
//! well-formedness check, so the tests read the files back as a viewer
//! would (no dependency for either).
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

impl Json {
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(m) => m.get(key),
            _ => None,
        }
    }
    pub fn num(&self) -> Option<f64> {
        if let Json::Num(n) = self { Some(*n) } else { None }
    }
    pub fn str(&self) -> Option<&str> {
        if let Json::Str(s) = self { Some(s) } else { None }
    }
    pub fn arr(&self) -> Option<&[Json]> {
        if let Json::Arr(a) = self { Some(a) } else { None }
    }
}

/// Parses a whole JSON document (RFC 8259), or says where it is wrong.
pub fn parse_json(s: &str) -> Result<Json, String> {
    let b = s.as_bytes();
    let mut i = 0;
    let v = value(b, &mut i)?;
    ws(b, &mut i);
    if i != b.len() {
        return Err(format!("trailing bytes at {i}"));
    }
    Ok(v)
}

fn ws(b: &[u8], i: &mut usize) {
    while *i < b.len() && matches!(b[*i], b' ' | b'\n' | b'\r' | b'\t') {
        *i += 1;
    }
}

fn value(b: &[u8], i: &mut usize) -> Result<Json, String> {
    ws(b, i);
    match b.get(*i) {
        Some(b'{') => {
            *i += 1;
            let mut m = BTreeMap::new();
            ws(b, i);
            if b.get(*i) == Some(&b'}') {
                *i += 1;
                return Ok(Json::Obj(m));
            }
            loop {
                ws(b, i);
                let Json::Str(k) = string(b, i)? else { unreachable!() };
                ws(b, i);
                if b.get(*i) != Some(&b':') {
                    return Err(format!("expected ':' at {i}"));
                }
                *i += 1;
                m.insert(k, value(b, i)?);
                ws(b, i);
                match b.get(*i) {
                    Some(b',') => *i += 1,
                    Some(b'}') => {
                        *i += 1;
                        return Ok(Json::Obj(m));
                    }
                    _ => return Err(format!("expected ',' or '}}' at {i}")),
                }
            }
        }
        Some(b'[') => {
            *i += 1;
            let mut a = Vec::new();
            ws(b, i);
            if b.get(*i) == Some(&b']') {
                *i += 1;
                return Ok(Json::Arr(a));
            }
            loop {
                a.push(value(b, i)?);
                ws(b, i);
                match b.get(*i) {
                    Some(b',') => *i += 1,
                    Some(b']') => {
                        *i += 1;
                        return Ok(Json::Arr(a));
                    }
                    _ => return Err(format!("expected ',' or ']' at {i}")),
                }
            }
        }
        Some(b'"') => string(b, i),
        Some(b't') if b[*i..].starts_with(b"true") => {
            *i += 4;
            Ok(Json::Bool(true))
        }
        Some(b'f') if b[*i..].starts_with(b"false") => {
            *i += 5;
            Ok(Json::Bool(false))
        }
        Some(b'n') if b[*i..].starts_with(b"null") => {
            *i += 4;
            Ok(Json::Null)
        }
        Some(c) if *c == b'-' || c.is_ascii_digit() => {
            let start = *i;
            *i += 1;
            while *i < b.len() && matches!(b[*i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
                *i += 1;
            }
            let text = std::str::from_utf8(&b[start..*i]).map_err(|e| e.to_string())?;
            text.parse().map(Json::Num).map_err(|_| format!("bad number {text:?} at {start}"))
        }
        _ => Err(format!("unexpected byte at {i}")),
    }
}

fn string(b: &[u8], i: &mut usize) -> Result<Json, String> {
    if b.get(*i) != Some(&b'"') {
        return Err(format!("expected a string at {i}"));
    }
    *i += 1;
    let mut out = Vec::new();
    while let Some(&c) = b.get(*i) {
        *i += 1;
        match c {
            b'"' => return String::from_utf8(out).map(Json::Str).map_err(|e| e.to_string()),
            b'\\' => {
                let e = *b.get(*i).ok_or("escape at end")?;
                *i += 1;
                match e {
                    b'"' | b'\\' | b'/' => out.push(e),
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'u' => {
                        let hex = std::str::from_utf8(b.get(*i..*i + 4).ok_or("short \\u")?)
                            .map_err(|e| e.to_string())?;
                        let n = u32::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
                        *i += 4;
                        let ch = char::from_u32(n).ok_or("bad \\u")?;
                        out.extend_from_slice(ch.to_string().as_bytes());
                    }
                    _ => return Err(format!("bad escape at {i}")),
                }
            }
            c if c < 0x20 => return Err(format!("control byte in string at {i}")),
            c => out.push(c),
        }
    }
    Err("unterminated string".into())
}

/// One element of an XML document: its name, attributes and children.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Element {
    pub name: String,
    pub attrs: BTreeMap<String, String>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    /// Every element below this one (depth first), itself included.
    pub fn all(&self) -> Vec<&Element> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.all());
        }
        out
    }
}

/// Parses a well-formed XML document (elements, quoted attributes, text
/// with the five predefined entities); anything else is an error.
pub fn parse_xml(s: &str) -> Result<Element, String> {
    let mut stack: Vec<Element> = vec![Element::default()];
    let mut rest = s.trim_start();
    if rest.starts_with("<?xml") {
        rest = &rest[rest.find("?>").ok_or("unterminated declaration")? + 2..];
    }
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("</") {
            let end = r.find('>').ok_or("unterminated close tag")?;
            let name = r[..end].trim();
            let el = stack.pop().ok_or("close without open")?;
            if el.name != name {
                return Err(format!("</{name}> closes <{}>", el.name));
            }
            stack.last_mut().ok_or("close of the root's parent")?.children.push(el);
            rest = &r[end + 1..];
        } else if let Some(r) = rest.strip_prefix('<') {
            let end = r.find('>').ok_or("unterminated tag")?;
            let mut tag = &r[..end];
            let self_closing = tag.ends_with('/');
            if self_closing {
                tag = &tag[..tag.len() - 1];
            }
            let (name, mut attrs_text) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
            if name.is_empty()
                || !name.chars().all(|c| c.is_alphanumeric() || c == '-' || c == ':' || c == '_')
            {
                return Err(format!("bad tag name {name:?}"));
            }
            let mut el = Element { name: name.to_string(), ..Element::default() };
            loop {
                attrs_text = attrs_text.trim_start();
                if attrs_text.is_empty() {
                    break;
                }
                let eq =
                    attrs_text.find('=').ok_or(format!("attribute without value in <{name}>"))?;
                let key = attrs_text[..eq].trim().to_string();
                let after = attrs_text[eq + 1..].trim_start();
                let q = after.chars().next().ok_or("attribute value missing")?;
                if q != '"' && q != '\'' {
                    return Err(format!("unquoted attribute {key} in <{name}>"));
                }
                let close = after[1..].find(q).ok_or("unterminated attribute")?;
                let val = unescape(&after[1..1 + close])?;
                if el.attrs.insert(key.clone(), val).is_some() {
                    return Err(format!("attribute {key} twice in <{name}>"));
                }
                attrs_text = &after[close + 2..];
            }
            if self_closing {
                stack.last_mut().ok_or("no parent")?.children.push(el);
            } else {
                stack.push(el);
            }
            rest = &r[end + 1..];
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = unescape(&rest[..end])?;
            stack.last_mut().ok_or("text outside the root")?.text.push_str(&text);
            rest = &rest[end..];
        }
    }
    let mut doc = stack.pop().ok_or("empty")?;
    if !stack.is_empty() {
        return Err(format!("<{}> never closed", doc.name));
    }
    if doc.children.len() != 1 || !doc.text.trim().is_empty() {
        return Err("a document has exactly one root element".into());
    }
    Ok(doc.children.remove(0))
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let semi = rest[amp..].find(';').ok_or("unterminated entity")?;
        out.push_str(match &rest[amp + 1..amp + semi] {
            "amp" => "&",
            "lt" => "<",
            "gt" => ">",
            "quot" => "\"",
            "apos" => "'",
            other => return Err(format!("unknown entity &{other};")),
        });
        rest = &rest[amp + semi + 1..];
    }
    if rest.contains('<') {
        return Err("raw '<' in text".into());
    }
    out.push_str(rest);
    Ok(out)
}

/// Checks a Chrome trace-event document against the timeline it was made
/// from: one named thread per lane, complete events whose durations add
/// up to each lane's, in time order per lane.
pub fn check_chrome(json: &str, timeline: &simul_scenario::Timeline) -> Result<(), String> {
    let doc = parse_json(json)?;
    let events = doc.get("traceEvents").and_then(Json::arr).ok_or("no traceEvents array")?;
    let names: Vec<&str> = events
        .iter()
        .filter(|e| e.get("name").and_then(Json::str) == Some("thread_name"))
        .filter_map(|e| e.get("args")?.get("name")?.str())
        .collect();
    let want: Vec<&str> = timeline.lanes.iter().map(|l| l.name.as_str()).collect();
    if names != want {
        return Err(format!("thread names {names:?}, lanes {want:?}"));
    }
    for (tid, lane) in timeline.lanes.iter().enumerate() {
        let mut last_ts = f64::NEG_INFINITY;
        let mut sum = 0.0;
        for e in events.iter().filter(|e| {
            e.get("ph").and_then(Json::str) == Some("X")
                && e.get("tid").and_then(Json::num) == Some(tid as f64)
        }) {
            let ts = e.get("ts").and_then(Json::num).ok_or("X event without ts")?;
            let dur = e.get("dur").and_then(Json::num).ok_or("X event without dur")?;
            if ts < last_ts || dur < 0.0 {
                return Err(format!("lane {}: events out of order or negative", lane.name));
            }
            last_ts = ts;
            sum += dur;
        }
        let want_us = lane.segments.iter().map(|s| s.len().as_nanos() as f64 / 1e3).sum::<f64>();
        if (sum - want_us).abs() > 1e-3 * lane.segments.len().max(1) as f64 {
            return Err(format!(
                "lane {}: durations add to {sum} µs, segments to {want_us} µs",
                lane.name
            ));
        }
    }
    Ok(())
}

/// Checks an SVG timeline: well-formed XML, an `svg` root, one lane group
/// per lane (up to the cap) named after it, a legend and an axis.
pub fn check_svg(svg: &str, timeline: &simul_scenario::Timeline) -> Result<(), String> {
    let root = parse_xml(svg)?;
    if root.name != "svg" {
        return Err(format!("root is <{}>", root.name));
    }
    let all = root.all();
    let lanes: Vec<&str> = all
        .iter()
        .filter(|e| e.name == "g" && e.attrs.get("class").map(String::as_str) == Some("lane"))
        .filter_map(|e| e.attrs.get("data-name").map(String::as_str))
        .collect();
    let want: Vec<&str> = timeline
        .lanes
        .iter()
        .take(simul_scenario::MAX_SVG_LANES)
        .map(|l| l.name.as_str())
        .collect();
    if lanes != want {
        return Err(format!("svg lanes {lanes:?}, timeline lanes {want:?}"));
    }
    for class in ["legend", "axis"] {
        if !all.iter().any(|e| e.attrs.get("class").map(String::as_str) == Some(class)) {
            return Err(format!("no {class}"));
        }
    }
    Ok(())
}
