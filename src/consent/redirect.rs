//! Where a form posted without JavaScript may send the visitor back to.

/// A same-site relative path (`/…`, not `//host` or `/\host`), else `/`.
pub fn safe_return_path(candidate: Option<&str>) -> &str {
    match candidate {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && path.len() <= 2048
                && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            path
        }
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return_path;

    #[test]
    fn keeps_same_site_paths() {
        for path in ["/", "/cookie-notice", "/privacy?x=1#top", "/a/b"] {
            assert_eq!(safe_return_path(Some(path)), path);
        }
    }

    #[test]
    fn refuses_everything_else() {
        let long = format!("/{}", "a".repeat(3000));
        for path in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "evil",
            "",
            "/with space",
            "/new\nline",
            "/\u{e9}",
            long.as_str(),
        ] {
            assert_eq!(safe_return_path(Some(path)), "/", "{path:?}");
        }
        assert_eq!(safe_return_path(None), "/");
    }
}
