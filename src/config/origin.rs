//! The site's public origin: the scheme, host and port visitors' browsers use, which can
//! differ from the address the server binds behind a TLS proxy.

use http::Uri;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    https: bool,
    host: String,
    port: u16,
}

impl Origin {
    /// The `public-origin` setting: `http(s)://host[:port]`, nothing after it but a `/`.
    pub fn parse_setting(text: &str) -> Option<Self> {
        let uri: Uri = text.parse().ok()?;
        let path = uri.path_and_query().map_or("", |p| p.as_str());
        if !matches!(path, "" | "/") {
            return None;
        }
        Self::of_uri(&uri)
    }

    /// The origin of an `Origin` header or a `Referer` URL.
    pub fn of_url(text: &str) -> Option<Self> {
        Self::of_uri(&text.parse().ok()?)
    }

    /// `http://` and a `Host` header: the origin in development, when none is configured.
    pub fn http(host: &str) -> Option<Self> {
        Self::of_url(&format!("http://{host}"))
    }

    fn of_uri(uri: &Uri) -> Option<Self> {
        let https = match uri.scheme_str()? {
            s if s.eq_ignore_ascii_case("https") => true,
            s if s.eq_ignore_ascii_case("http") => false,
            _ => return None,
        };
        let authority = uri.authority()?;
        if authority.as_str().contains('@') || authority.host().is_empty() {
            return None;
        }
        Some(Self {
            https,
            host: authority.host().to_ascii_lowercase(),
            port: authority.port_u16().unwrap_or(if https { 443 } else { 80 }),
        })
    }

    pub fn is_https(&self) -> bool {
        self.https
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}", self.host)?;
        if self.port != if self.https { 443 } else { 80 } {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_host_and_port_make_the_origin() {
        let site = Origin::parse_setting("https://www.leadistry.com").unwrap();
        assert!(site.is_https());
        assert_eq!(site.to_string(), "https://www.leadistry.com");
        for same in [
            "https://www.leadistry.com",
            "https://WWW.Leadistry.com:443",
            "https://www.leadistry.com/cookie-settings?x=1",
        ] {
            assert_eq!(Origin::of_url(same).as_ref(), Some(&site), "{same}");
        }
        for other in [
            "http://www.leadistry.com",
            "https://www.leadistry.com:8443",
            "https://app.leadistry.com",
            "https://www.leadistry.com.evil.example",
            "https://www.leadistry.com@evil.example/",
            "null",
            "",
        ] {
            assert_ne!(Origin::of_url(other).as_ref(), Some(&site), "{other}");
        }
        assert_eq!(
            Origin::http("127.0.0.1:3000"),
            Origin::of_url("http://127.0.0.1:3000/")
        );
        for bad in [
            "www.leadistry.com",
            "ftp://leadistry.com",
            "https://leadistry.com/path",
            "https://",
        ] {
            assert_eq!(Origin::parse_setting(bad), None, "{bad}");
        }
    }
}
