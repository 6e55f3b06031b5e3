//! Multipart bodies (`_json` plus `attachment` or `data`) for file jobs.

pub(super) struct Part {
    pub(super) name: String,
    pub(super) filename: Option<String>,
    pub(super) content_type: Option<String>,
    pub(super) body: Vec<u8>,
}

fn find_bytes(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

fn header_param(line: &str, name: &str) -> Option<String> {
    line.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim().eq_ignore_ascii_case(name)).then(|| v.trim().trim_matches('"').to_owned())
    })
}

pub(super) fn parse_multipart(content_type: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let boundary = header_param(content_type, "boundary")
        .ok_or_else(|| "multipart body without a boundary".to_owned())?;
    let delim = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut pos = find_bytes(body, delim.as_bytes(), 0)
        .ok_or_else(|| "multipart body without its boundary".to_owned())?;
    loop {
        let start = pos + delim.len();
        if body.get(start..start + 2) == Some(b"--") {
            break;
        }
        let head_start = start + 2;
        let head_end = find_bytes(body, b"\r\n\r\n", head_start)
            .ok_or_else(|| "multipart part without headers".to_owned())?;
        let next = find_bytes(body, format!("\r\n{delim}").as_bytes(), head_end)
            .ok_or_else(|| "unterminated multipart part".to_owned())?;
        let head = String::from_utf8_lossy(&body[head_start..head_end]).into_owned();
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            body: body[head_end + 4..next].to_vec(),
        };
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                part.name = header_param(v, "name").unwrap_or_default();
                part.filename = header_param(v, "filename");
            } else if k.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(v.trim().to_owned());
            }
        }
        parts.push(part);
        pos = next + 2;
    }
    Ok(parts)
}
