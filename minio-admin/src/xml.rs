//! The little XML S3 speaks: flat documents read with quick-xml's serde support, and the text
//! of one tag from an error snippet.

use serde::de::DeserializeOwned;

/// Decodes an XML document whose root element is `root` (anything else, such as a proxy's
/// HTML page, is an error rather than an empty document).
pub(crate) fn decode<T: DeserializeOwned>(url: &str, root: &str, body: &str) -> crate::Result<T> {
    if !body.contains(&format!("<{root}")) {
        return Err(crate::Error::Decode {
            url: url.to_owned(),
            message: format!(
                "expected an XML <{root}> document; body starts {:?}",
                body.chars().take(200).collect::<String>()
            ),
        });
    }
    quick_xml::de::from_str(body).map_err(|e| crate::Error::Decode {
        url: url.to_owned(),
        message: format!(
            "{e}; body starts {:?}",
            body.chars().take(200).collect::<String>()
        ),
    })
}

/// The text of the first `<tag>...</tag>` in `doc`, entities unescaped.
pub(crate) fn tag_text(doc: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = doc.find(&open)? + open.len();
    let end = start + doc[start..].find(&close)?;
    let raw = &doc[start..end];
    Some(quick_xml::escape::unescape(raw).map_or_else(|_| raw.to_owned(), |c| c.into_owned()))
}

/// Escapes text for an XML element.
pub(crate) fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_text_unescapes() {
        let doc = "<Error><Code>AccessDenied</Code><Message>a &amp; b</Message></Error>";
        assert_eq!(tag_text(doc, "Code").as_deref(), Some("AccessDenied"));
        assert_eq!(tag_text(doc, "Message").as_deref(), Some("a & b"));
        assert_eq!(tag_text(doc, "RequestId"), None);
    }
}
