//! LIST (with LIST-EXTENDED, LIST-STATUS and SPECIAL-USE), LSUB and STATUS.
//!
//! Names use `/` as hierarchy delimiter, in one personal namespace with an empty
//! prefix. Pattern `*` matches anything, `%` anything but the delimiter; the reference
//! is put before the pattern as it is. Every LIST response carries `\HasChildren` or
//! `\HasNoChildren` (CHILDREN) and the special-use attribute of the five mailboxes made
//! for each user (RFC 6154 §2 lets servers send them without being asked).

// An early answer (`Err(Outcome)`) is as large as the answer it replaces; boxing it
// would buy nothing on this path.
#![allow(clippy::result_large_err)]

use std::collections::BTreeSet;

use mailwire_imap::types::{
    Code, Data, Delimiter, IString, ListAttribute, ListData, ListExtendedItem, ListReturnOption,
    ListSelectOption, Mailbox as ImapMailbox, MailboxName, NonEmpty, StatusAttribute, StatusItem,
};

use super::commands::{items_of, Outcome};
use crate::mailstore::{MailboxInfo, SpecialUse, UserMailboxes, INBOX, SEPARATOR};

/// True when `name` matches `pattern` (`*` anything, `%` anything but `/`).
pub(super) fn pattern_matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    // matched[j]: the pattern read so far matches the first j characters of the name.
    let mut matched = vec![false; name.len() + 1];
    if let Some(first) = matched.first_mut() {
        *first = true;
    }
    for &symbol in &pattern {
        let mut next = vec![false; name.len() + 1];
        match symbol {
            '*' | '%' => {
                // A run of any characters (`*`), or of any but the delimiter (`%`).
                let mut reachable = false;
                for (j, slot) in next.iter_mut().enumerate() {
                    if symbol == '%' && j > 0 && name.get(j - 1).copied() == Some(SEPARATOR) {
                        reachable = false;
                    }
                    reachable = reachable || matched.get(j).copied().unwrap_or(false);
                    *slot = reachable;
                }
            }
            literal => {
                for j in 1..=name.len() {
                    let previous = matched.get(j - 1).copied().unwrap_or(false);
                    if let Some(slot) = next.get_mut(j) {
                        *slot = previous && name.get(j - 1).copied() == Some(literal);
                    }
                }
            }
        }
        matched = next;
    }
    matched.last().copied().unwrap_or(false)
}

/// The reference and the pattern as one pattern, `INBOX` in any case written `INBOX`.
fn canonical_pattern(reference: &str, pattern: &str) -> String {
    let joined = format!("{reference}{pattern}");
    let head = joined.get(..INBOX.len());
    let tail = joined.get(INBOX.len()..).unwrap_or_default();
    match head {
        Some(head)
            if head.eq_ignore_ascii_case(INBOX)
                && (tail.is_empty() || tail.starts_with(SEPARATOR)) =>
        {
            format!("{INBOX}{tail}")
        }
        _ => joined,
    }
}

fn special_attribute(role: SpecialUse) -> ListAttribute<'static> {
    match role {
        SpecialUse::Sent => ListAttribute::Sent,
        SpecialUse::Drafts => ListAttribute::Drafts,
        SpecialUse::Trash => ListAttribute::Trash,
        SpecialUse::Junk => ListAttribute::Junk,
        SpecialUse::Archive => ListAttribute::Archive,
    }
}

fn delimiter() -> Option<Delimiter> {
    Delimiter::new(SEPARATOR).ok()
}

fn response_name(name: &str) -> Option<ImapMailbox<'static>> {
    ImapMailbox::try_from(name.to_string()).ok()
}

/// The options of one LIST command.
#[derive(Debug, Default, Clone, Copy)]
struct Options {
    subscribed_only: bool,
    special_use_only: bool,
    recursive: bool,
    return_subscribed: bool,
}

/// LIST: see the [module docs](self).
pub(super) fn list(
    mailboxes: &UserMailboxes,
    selection: &[ListSelectOption<'static>],
    reference: &ImapMailbox<'static>,
    patterns: &NonEmpty<MailboxName<'static>>,
    return_options: &[ListReturnOption<'static>],
    _condstore: bool,
) -> Outcome {
    let mut options = Options::default();
    for option in selection {
        match option {
            ListSelectOption::Subscribed => options.subscribed_only = true,
            ListSelectOption::SpecialUse => options.special_use_only = true,
            ListSelectOption::RecursiveMatch => options.recursive = true,
            // No remote mailboxes here: REMOTE changes nothing.
            ListSelectOption::Remote => {}
            ListSelectOption::Other(_) => return Outcome::bad("Unknown LIST selection option"),
        }
    }
    if options.recursive && !options.subscribed_only && !options.special_use_only {
        // RFC 5258 §3.1: RECURSIVEMATCH alone is an error.
        return Outcome::bad("RECURSIVEMATCH needs another selection option");
    }
    let mut status: Option<Vec<StatusAttribute>> = None;
    for option in return_options {
        match option {
            ListReturnOption::Subscribed => options.return_subscribed = true,
            // Always given.
            ListReturnOption::Children | ListReturnOption::SpecialUse => {}
            ListReturnOption::Status(attributes) => status = Some(attributes.to_vec()),
            ListReturnOption::Other(_) => return Outcome::bad("Unknown LIST return option"),
        }
    }
    let Some(reference) = reference.name().as_str().map(str::to_string) else {
        return Outcome::ok("LIST completed");
    };
    let mut outcome = Outcome::ok("LIST completed");
    // `LIST "" ""`: the delimiter and the root name.
    if patterns.len() == 1
        && patterns
            .first()
            .is_some_and(|pattern| pattern.as_str() == Some(""))
        && selection.is_empty()
    {
        if let Ok(root) = MailboxName::new("") {
            outcome.data.push(Data::List(ListData {
                attributes: vec![ListAttribute::NoSelect],
                delimiter: delimiter(),
                mailbox: ImapMailbox::new(root),
                extended: Vec::new(),
            }));
        }
        return outcome;
    }
    let all = match mailboxes.list() {
        Ok(all) => all,
        Err(error) => return super::commands::store_error(&error),
    };
    let subscribed: BTreeSet<String> = match mailboxes.subscriptions() {
        Ok(names) => names.into_iter().collect(),
        Err(error) => return super::commands::store_error(&error),
    };
    let patterns: Vec<String> = patterns
        .iter()
        .filter_map(|pattern| pattern.as_str().map(|p| canonical_pattern(&reference, p)))
        .collect();
    let matching = |name: &str| {
        patterns
            .iter()
            .any(|pattern| pattern_matches(pattern, name))
    };
    let info_of = |name: &str| all.iter().find(|info| info.name == name);
    // Candidates: existing mailboxes, and with SUBSCRIBED the subscribed names that
    // no longer exist.
    let mut names: BTreeSet<String> = all.iter().map(|info| info.name.clone()).collect();
    if options.subscribed_only {
        names.extend(subscribed.iter().cloned());
    }
    let mut ordered: Vec<String> = names.into_iter().collect();
    // INBOX first, as the store lists it.
    ordered.sort_by_key(|name| (name != INBOX, name.clone()));
    for name in ordered {
        if !matching(&name) {
            continue;
        }
        let info = info_of(&name);
        let is_subscribed = subscribed.contains(&name);
        let prefix = format!("{name}{SEPARATOR}");
        let mut extended = Vec::new();
        let wanted = if options.subscribed_only {
            if is_subscribed {
                true
            } else if options.recursive && subscribed.iter().any(|other| other.starts_with(&prefix))
            {
                if let Ok(value) = IString::try_from("SUBSCRIBED") {
                    extended.push(ListExtendedItem::ChildInfo(NonEmpty::new(value)));
                }
                true
            } else {
                false
            }
        } else {
            true
        };
        let wanted = wanted
            && (!options.special_use_only || info.is_some_and(|info| info.special_use.is_some()));
        if !wanted {
            continue;
        }
        let attributes = attributes(
            info,
            is_subscribed && (options.return_subscribed || options.subscribed_only),
        );
        let Some(mailbox) = response_name(&name) else {
            continue;
        };
        outcome.data.push(Data::List(ListData {
            attributes,
            delimiter: delimiter(),
            mailbox: mailbox.clone(),
            extended,
        }));
        if let (Some(attributes), Some(_)) = (&status, info) {
            if let Ok(items) = status_items(mailboxes, &name, attributes) {
                outcome.data.push(Data::Status { mailbox, items });
            }
        }
    }
    outcome
}

fn attributes(info: Option<&MailboxInfo>, subscribed: bool) -> Vec<ListAttribute<'static>> {
    let mut attributes = Vec::new();
    match info {
        Some(info) => {
            attributes.push(if info.has_children {
                ListAttribute::HasChildren
            } else {
                ListAttribute::HasNoChildren
            });
            if let Some(role) = info.special_use {
                attributes.push(special_attribute(role));
            }
        }
        None => attributes.push(ListAttribute::NonExistent),
    }
    if subscribed {
        attributes.push(ListAttribute::Subscribed);
    }
    attributes
}

/// LSUB (RFC 3501 §6.3.9): the subscribed names that match; a parent that `%` reaches
/// only through a subscribed child is listed `\Noselect`.
pub(super) fn lsub(
    mailboxes: &UserMailboxes,
    reference: &ImapMailbox<'static>,
    pattern: &MailboxName<'static>,
) -> Outcome {
    let mut outcome = Outcome::ok("LSUB completed");
    let (Some(reference), Some(pattern)) = (reference.name().as_str(), pattern.as_str()) else {
        return outcome;
    };
    let pattern = canonical_pattern(reference, pattern);
    let subscribed = match mailboxes.subscriptions() {
        Ok(names) => names,
        Err(error) => return super::commands::store_error(&error),
    };
    let mut listed: BTreeSet<String> = BTreeSet::new();
    let mut entries: Vec<(String, Vec<ListAttribute<'static>>)> = Vec::new();
    for name in &subscribed {
        if pattern_matches(&pattern, name) {
            if listed.insert(name.clone()) {
                let attributes = if mailboxes.exists(name) {
                    Vec::new()
                } else {
                    vec![ListAttribute::NoSelect]
                };
                entries.push((name.clone(), attributes));
            }
            continue;
        }
        // The nearest ancestor the pattern matches, if `%` stopped there.
        let mut ancestor = name.as_str();
        while let Some((parent, _)) = ancestor.rsplit_once(SEPARATOR) {
            ancestor = parent;
            if pattern_matches(&pattern, ancestor) {
                if !subscribed.iter().any(|other| other == ancestor)
                    && listed.insert(ancestor.to_string())
                {
                    entries.push((ancestor.to_string(), vec![ListAttribute::NoSelect]));
                }
                break;
            }
        }
    }
    entries.sort_by_key(|(name, _)| (name != INBOX, name.clone()));
    for (name, attributes) in entries {
        if let Some(mailbox) = response_name(&name) {
            outcome.data.push(Data::Lsub(ListData {
                attributes,
                delimiter: delimiter(),
                mailbox,
                extended: Vec::new(),
            }));
        }
    }
    outcome
}

/// The STATUS items of the mailbox `name`.
pub(super) fn status_items(
    mailboxes: &UserMailboxes,
    name: &str,
    attributes: &[StatusAttribute],
) -> Result<Vec<StatusItem>, Outcome> {
    if !mailboxes.exists(name) {
        return Err(Outcome::no(Some(Code::NonExistent), "No such mailbox"));
    }
    let status = mailboxes
        .status(name)
        .map_err(|error| super::commands::store_error(&error))?;
    items_of(&status, attributes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(pattern_matches("*", "INBOX"));
        assert!(pattern_matches("*", "a/b/c"));
        assert!(pattern_matches("%", "Archive"));
        assert!(!pattern_matches("%", "a/b"));
        assert!(pattern_matches("a/%", "a/b"));
        assert!(!pattern_matches("a/%", "a/b/c"));
        assert!(pattern_matches("a/*", "a/b/c"));
        assert!(pattern_matches("%/b", "a/b"));
        assert!(pattern_matches("S%t", "Sent"));
        assert!(!pattern_matches("S%t", "Sen/t"));
        assert!(pattern_matches("Sent", "Sent"));
        assert!(!pattern_matches("Sent", "Sent2"));
        assert!(pattern_matches("%", ""));
        assert!(!pattern_matches("", "a"));
        assert_eq!(canonical_pattern("", "inbox"), "INBOX");
        assert_eq!(canonical_pattern("InBox/", "%"), "INBOX/%");
        assert_eq!(canonical_pattern("", "Inboxes"), "Inboxes");
        assert_eq!(canonical_pattern("Archive/", "*"), "Archive/*");
    }
}
