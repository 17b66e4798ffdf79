//! IMAP mailbox names and their Maildir++ folder names.
//!
//! An IMAP name is a Rust string whose hierarchy separator is `/`; on disk each level
//! becomes one part of a Maildir++ folder name, `.Level1.Level2`, below the user's
//! root Maildir (which is INBOX). Octets that would break that layout (`.`, `%`, `/`,
//! anything outside printable ASCII) are written `%XX`, so every valid name has exactly
//! one folder name and the folder name never leaves the user's root.

/// The name of the root folder.
pub const INBOX: &str = "INBOX";

/// The hierarchy separator of IMAP names.
pub const SEPARATOR: char = '/';

/// Longest IMAP name accepted, in octets (Dovecot's limit).
pub const MAX_NAME_LEN: usize = 255;

/// Most hierarchy levels in one name.
pub const MAX_LEVELS: usize = 16;

/// `name` checked and normalized: `INBOX` in any case (and as the first level) is
/// written `INBOX`; `None` when the name is not acceptable: empty, too long, an empty
/// level (leading, trailing or doubled `/`), a level starting with `.`, control
/// characters, or the IMAP wildcards `*` and `%`.
pub fn normalize(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return None;
    }
    let mut levels: Vec<&str> = name.split(SEPARATOR).collect();
    if levels.len() > MAX_LEVELS {
        return None;
    }
    for level in &levels {
        let bad_char = level
            .chars()
            .any(|c| c.is_control() || matches!(c, '*' | '%' | '\\'));
        if level.is_empty() || level.starts_with('.') || bad_char {
            return None;
        }
    }
    if let Some(first) = levels.first_mut() {
        if first.eq_ignore_ascii_case(INBOX) {
            *first = INBOX;
        }
    }
    Some(levels.join("/"))
}

/// True for the name of the root folder (after [`normalize`]).
pub fn is_inbox(name: &str) -> bool {
    name == INBOX
}

/// The Maildir++ folder name of a normalized name other than INBOX: `.` then each level
/// escaped, joined with `.`.
pub fn to_folder(name: &str) -> String {
    let mut folder = String::with_capacity(name.len() + 1);
    for level in name.split(SEPARATOR) {
        folder.push('.');
        for octet in level.bytes() {
            if (octet.is_ascii_graphic() || octet == b' ')
                && !matches!(octet, b'.' | b'%' | b'/' | b'\\' | b'~')
            {
                folder.push(char::from(octet));
            } else {
                folder.push_str(&format!("%{octet:02X}"));
            }
        }
    }
    folder
}

/// The IMAP name of a Maildir++ folder name (`.A.B`), `None` when it is not one this
/// store writes.
pub fn from_folder(folder: &str) -> Option<String> {
    let rest = folder.strip_prefix('.')?;
    let mut levels = Vec::new();
    for level in rest.split('.') {
        let mut octets = Vec::with_capacity(level.len());
        let mut bytes = level.bytes();
        while let Some(octet) = bytes.next() {
            if octet == b'%' {
                let high = hex_value(bytes.next()?)?;
                let low = hex_value(bytes.next()?)?;
                octets.push(high << 4 | low);
            } else {
                octets.push(octet);
            }
        }
        levels.push(String::from_utf8(octets).ok()?);
    }
    let name = levels.join("/");
    // Only names that encode back to the same folder: one folder, one name.
    let normalized = normalize(&name)?;
    (to_folder(&normalized) == folder).then_some(normalized)
}

fn hex_value(octet: u8) -> Option<u8> {
    match octet {
        b'0'..=b'9' => Some(octet - b'0'),
        b'A'..=b'F' => Some(octet - b'A' + 10),
        _ => None,
    }
}

/// The parent names of `name` (`a/b/c` gives `a`, `a/b`).
pub fn parents(name: &str) -> Vec<String> {
    let mut parents = Vec::new();
    let mut end = 0;
    while let Some(offset) = name.get(end..).and_then(|rest| rest.find(SEPARATOR)) {
        end += offset;
        if let Some(parent) = name.get(..end) {
            parents.push(parent.to_string());
        }
        end += 1;
    }
    parents
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized_and_bad_ones_refused() {
        assert_eq!(normalize("inbox").as_deref(), Some("INBOX"));
        assert_eq!(normalize("InBox/Sub").as_deref(), Some("INBOX/Sub"));
        assert_eq!(normalize("Archive/2024").as_deref(), Some("Archive/2024"));
        assert_eq!(normalize("Grüße").as_deref(), Some("Grüße"));
        for bad in [
            "", "/a", "a/", "a//b", "..", "a/../b", ".hidden", "a/.b", "a\u{7}b", "a*", "a%b",
            "a\\b",
        ] {
            assert_eq!(normalize(bad), None, "{bad:?}");
        }
        assert_eq!(normalize(&"x".repeat(MAX_NAME_LEN + 1)), None);
    }

    #[test]
    fn folder_names_round_trip_and_stay_inside_the_root() {
        for name in ["Sent", "a/b", "v1.2", "Grüße/x", "a b", "100%"] {
            let Some(name) = normalize(name) else {
                continue;
            };
            let folder = to_folder(&name);
            assert!(!folder.contains('/'), "{folder}");
            assert!(!folder.get(1..).unwrap_or("").starts_with('.'), "{folder}");
            assert_eq!(from_folder(&folder).as_deref(), Some(name.as_str()));
        }
        assert_eq!(to_folder("v1.2/x"), ".v1%2E2.x");
        assert_eq!(from_folder(".."), None);
        assert_eq!(from_folder(".a%2"), None);
        assert_eq!(from_folder(".a%2e"), None);
        assert_eq!(from_folder("cur"), None);
    }

    #[test]
    fn parents_of_a_name() {
        assert_eq!(parents("a/b/c"), ["a", "a/b"]);
        assert!(parents("a").is_empty());
    }
}
