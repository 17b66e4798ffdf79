//! The mailbox store (`mailwire_examples::mailstore`) over real Maildir folders:
//! messages written by the delivery agent's store, read, flagged, copied, expunged and
//! renamed the way the IMAP and POP3 servers do, with two views of one folder seeing
//! each other's changes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/backend.rs"]
mod backend;

use std::collections::HashMap;
use std::fs;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use backend::TempDir;
use mailwire_examples::delivery::MaildirStore;
use mailwire_examples::mailstore::{
    Flag, FlagOp, MailStore, MailStoreError, SpecialUse, UserMailboxes, INBOX,
};
use mailwire_examples::queue::{ManualClock, SeededRandom};

const USER: &str = "Bob@Mailwire.Test";

struct Fixture {
    _dir: TempDir,
    clock: ManualClock,
    delivery: MaildirStore,
    store: MailStore,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let dir = TempDir::new(name);
        let root = dir.path().join("mail");
        let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        let delivery = MaildirStore::new(
            &root,
            "mx.test",
            None,
            HashMap::new(),
            Arc::new(clock.clone()),
            Arc::new(SeededRandom::new(1)),
        );
        let store = MailStore::new(
            root,
            String::from("imap.test"),
            Arc::new(clock.clone()),
            Arc::new(SeededRandom::new(2)),
        );
        Fixture {
            _dir: dir,
            clock,
            delivery,
            store,
        }
    }

    fn user(&self) -> UserMailboxes {
        self.store.user(USER).unwrap()
    }

    /// Delivers a message as the delivery agent does (into `new/`).
    fn deliver(&self, body: &str) -> Vec<u8> {
        let content = format!("Subject: {body}\r\n\r\n{body}\r\n").into_bytes();
        self.delivery
            .deliver("bob@mailwire.test", b"", &content)
            .unwrap();
        // Distinct modification times keep arrival order observable.
        self.clock.advance(Duration::from_secs(1));
        std::thread::sleep(Duration::from_millis(5));
        content
    }

    /// File names in a folder's sub-directory (`cur`, `new`).
    fn files(&self, user: &UserMailboxes, folder: &str, sub: &str) -> Vec<String> {
        let path = if folder.is_empty() {
            user.root().join(sub)
        } else {
            user.root().join(folder).join(sub)
        };
        let mut names: Vec<String> = fs::read_dir(path)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

fn uids(mailbox: &mailwire_examples::mailstore::Mailbox) -> Vec<u32> {
    mailbox.messages().iter().map(|m| m.uid).collect()
}

#[test]
fn first_open_makes_inbox_and_the_special_use_mailboxes() {
    let fixture = Fixture::new("store-special");
    let user = fixture.user();
    assert_eq!(user.address(), "bob@mailwire.test");
    let list = user.list().unwrap();
    let names: Vec<&str> = list.iter().map(|info| info.name.as_str()).collect();
    assert_eq!(
        names,
        ["INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash"]
    );
    assert!(list
        .iter()
        .all(|info| info.subscribed && !info.has_children));
    let roles: Vec<Option<SpecialUse>> = list.iter().map(|info| info.special_use).collect();
    assert_eq!(
        roles,
        [
            None,
            Some(SpecialUse::Archive),
            Some(SpecialUse::Drafts),
            Some(SpecialUse::Junk),
            Some(SpecialUse::Sent),
            Some(SpecialUse::Trash)
        ]
    );
    // On disk: Maildir++ folders beside INBOX's cur/new/tmp.
    assert!(user.root().join(".Sent/cur").is_dir());
    assert!(user.root().join("cur").is_dir());
    // Each folder got its UIDVALIDITY at creation, from the injected clock, all
    // different.
    let mut validities: Vec<u32> = list
        .iter()
        .map(|info| user.status(&info.name).unwrap().uid_validity)
        .collect();
    assert_eq!(validities[0], 1_700_000_000);
    validities.sort_unstable();
    validities.dedup();
    assert_eq!(validities.len(), 6);
    // A deleted special folder comes back at the next login, unsubscribed ones stay so.
    user.subscribe("Junk", false).unwrap();
    user.delete("Junk").unwrap();
    let again = fixture.user();
    let junk = again
        .list()
        .unwrap()
        .into_iter()
        .find(|info| info.name == "Junk")
        .unwrap();
    assert!(junk.subscribed, "remade special folders are subscribed");
}

#[test]
fn uids_are_stable_across_reopen_and_new_deliveries_get_the_next_ones() {
    let fixture = Fixture::new("store-uids");
    let first = fixture.deliver("one");
    let second = fixture.deliver("two");
    let user = fixture.user();
    let mailbox = user.open(INBOX, false).unwrap();
    assert_eq!(uids(&mailbox), [1, 2]);
    assert_eq!(mailbox.uid_next(), 3);
    let validity = mailbox.uid_validity();
    assert_eq!(
        validity, 1_700_000_002,
        "UIDVALIDITY from the injected clock"
    );
    assert_eq!(mailbox.read(1).unwrap(), first);
    assert_eq!(mailbox.read(2).unwrap(), second);
    assert_eq!(mailbox.messages()[0].size, first.len() as u64);
    let unique = mailbox.unique_name(1).unwrap().to_string();
    assert!(unique.ends_with(&format!(",S={}", first.len())), "{unique}");
    drop(mailbox);

    let third = fixture.deliver("three");
    // A new store (a restart) reads the same UIDs from the uidlist.
    let restarted = MailStore::new(
        fixture.store.root().to_path_buf(),
        String::from("imap.test"),
        Arc::new(fixture.clock.clone()),
        Arc::new(SeededRandom::new(3)),
    );
    let user = restarted.user(USER).unwrap();
    let mailbox = user.open("inbox", true).unwrap();
    assert_eq!(mailbox.name(), "INBOX");
    assert!(mailbox.read_only());
    assert_eq!(mailbox.uid_validity(), validity);
    assert_eq!(uids(&mailbox), [1, 2, 3]);
    assert_eq!(mailbox.unique_name(1), Some(unique.as_str()));
    assert_eq!(mailbox.read(3).unwrap(), third);
    let status = user.status(INBOX).unwrap();
    assert_eq!(status.messages, 3);
    assert_eq!(status.uid_next, 4);
    assert_eq!(status.unseen, 3);
    assert_eq!(status.uid_validity, validity);
    assert_eq!(
        status.size,
        (first.len() + second.len() + third.len()) as u64
    );
}

#[test]
fn recent_is_claimed_by_exactly_one_session() {
    let fixture = Fixture::new("store-recent");
    fixture.deliver("one");
    let user = fixture.user();
    assert_eq!(user.status(INBOX).unwrap().recent, 1);
    // EXAMINE shows it recent but does not claim it; the message stays in new/.
    let examined = user.open(INBOX, true).unwrap();
    assert!(examined.messages()[0].recent);
    assert_eq!(fixture.files(&user, "", "new").len(), 1);
    // The first SELECT claims it and moves it to cur/.
    let mut first = user.open(INBOX, false).unwrap();
    assert!(first.messages()[0].recent);
    assert!(fixture.files(&user, "", "new").is_empty());
    assert_eq!(fixture.files(&user, "", "cur").len(), 1);
    let second = user.open(INBOX, false).unwrap();
    assert!(!second.messages()[0].recent);
    assert_eq!(user.status(INBOX).unwrap().recent, 0);
    // A later delivery is recent for the first session that refreshes.
    fixture.deliver("two");
    let changes = first.refresh().unwrap();
    assert_eq!(changes.new_messages, 1);
    assert_eq!(changes.exists, 2);
    assert!(first.messages()[1].recent);
    assert!(first.messages()[0].recent, "recent stays for the session");
    let mut second = second;
    second.refresh().unwrap();
    assert!(!second.messages()[1].recent);
}

#[test]
fn flags_live_in_file_names_and_keywords_in_the_uidlist() {
    let fixture = Fixture::new("store-flags");
    fixture.deliver("one");
    fixture.deliver("two");
    let user = fixture.user();
    let mut mailbox = user.open(INBOX, false).unwrap();
    let outcome = mailbox
        .store_flags(
            &[1],
            FlagOp::Add,
            &[Flag::Seen, Flag::Flagged],
            &[String::from("$Forwarded")],
            None,
        )
        .unwrap();
    assert_eq!(outcome.changed, [1]);
    let message = &mailbox.messages()[0];
    assert_eq!(message.flags, [Flag::Seen, Flag::Flagged]);
    assert_eq!(message.keywords, ["$Forwarded"]);
    let cur = fixture.files(&user, "", "cur");
    assert!(cur.iter().any(|name| name.ends_with(":2,FS")), "{cur:?}");
    assert!(cur.iter().any(|name| name.ends_with(":2,")), "{cur:?}");
    let modseq = mailbox.messages()[0].modseq;
    assert_eq!(mailbox.highest_modseq(), modseq);

    // Adding what is there changes nothing (no new MODSEQ).
    let outcome = mailbox
        .store_flags(&[1], FlagOp::Add, &[Flag::Seen], &[], None)
        .unwrap();
    assert!(outcome.changed.is_empty());
    assert_eq!(mailbox.messages()[0].modseq, modseq);

    // CONDSTORE: UNCHANGEDSINCE below the message's MODSEQ refuses it.
    let outcome = mailbox
        .store_flags(
            &[1, 2],
            FlagOp::Replace,
            &[Flag::Answered],
            &[],
            Some(modseq - 1),
        )
        .unwrap();
    assert_eq!(outcome.modified, [1]);
    assert_eq!(outcome.changed, [2]);
    assert_eq!(mailbox.messages()[1].flags, [Flag::Answered]);

    // Bad keywords are refused; flags survive a reopen.
    assert!(matches!(
        mailbox.store_flags(&[1], FlagOp::Add, &[], &[String::from("a b")], None),
        Err(MailStoreError::InvalidKeyword)
    ));
    drop(mailbox);
    let reopened = user.open(INBOX, true).unwrap();
    assert_eq!(reopened.messages()[0].flags, [Flag::Seen, Flag::Flagged]);
    assert_eq!(reopened.messages()[0].keywords, ["$Forwarded"]);
    assert_eq!(reopened.messages()[1].flags, [Flag::Answered]);
    assert_eq!(user.status(INBOX).unwrap().unseen, 1);
    let mut read_only = reopened;
    assert!(matches!(
        read_only.store_flags(&[1], FlagOp::Add, &[Flag::Deleted], &[], None),
        Err(MailStoreError::ReadOnly)
    ));
    assert!(matches!(
        read_only.expunge(None),
        Err(MailStoreError::ReadOnly)
    ));
}

#[test]
fn two_views_see_each_others_changes_on_refresh() {
    let fixture = Fixture::new("store-views");
    for body in ["one", "two", "three"] {
        fixture.deliver(body);
    }
    let user = fixture.user();
    let mut a = user.open(INBOX, false).unwrap();
    let mut b = user.open(INBOX, false).unwrap();
    a.store_flags(&[2], FlagOp::Add, &[Flag::Seen], &[], None)
        .unwrap();
    let changes = b.refresh().unwrap();
    assert_eq!(changes.flags_changed, [2]);
    assert!(changes.expunged.is_empty());
    assert_eq!(b.messages()[1].flags, [Flag::Seen]);
    // Nothing more to see the second time.
    assert_eq!(b.refresh().unwrap().flags_changed, Vec::<u32>::new());

    // Another program (a mail reader on the same Maildir) renames flags too.
    let path = b.path(3).unwrap();
    let renamed = path.with_file_name(format!("{}F", path.file_name().unwrap().to_str().unwrap()));
    fs::rename(&path, &renamed).unwrap();
    assert_eq!(a.refresh().unwrap().flags_changed, [3]);
    assert_eq!(a.messages()[2].flags, [Flag::Flagged]);

    // a expunges 1 and 3; b learns at refresh, numbers descending.
    a.store_flags(&[1, 3], FlagOp::Add, &[Flag::Deleted], &[], None)
        .unwrap();
    fixture.deliver("four");
    let gone = a.expunge(None).unwrap();
    assert_eq!(gone, [3, 1]);
    assert_eq!(uids(&a), [2], "new messages wait for refresh");
    let changes = b.refresh().unwrap();
    assert_eq!(changes.expunged, [3, 1]);
    assert_eq!(changes.expunged_uids, [1, 3]);
    assert_eq!(changes.new_messages, 1);
    assert_eq!(changes.exists, 2);
    assert_eq!(uids(&b), [2, 4]);
    let changes = a.refresh().unwrap();
    assert_eq!(changes.new_messages, 1);
    assert_eq!(uids(&a), [2, 4]);
    // Files of expunged messages are gone.
    assert_eq!(fixture.files(&user, "", "cur").len(), 2);
    // A message renamed by the other view is still read.
    a.store_flags(&[4], FlagOp::Add, &[Flag::Draft], &[], None)
        .unwrap();
    assert!(b.read(4).unwrap().starts_with(b"Subject: four"));
}

#[test]
fn uid_expunge_removes_only_the_given_deleted_messages() {
    let fixture = Fixture::new("store-uid-expunge");
    for body in ["one", "two", "three"] {
        fixture.deliver(body);
    }
    let user = fixture.user();
    let mut mailbox = user.open(INBOX, false).unwrap();
    mailbox
        .store_flags(&[1, 2, 3], FlagOp::Add, &[Flag::Deleted], &[], None)
        .unwrap();
    assert_eq!(mailbox.expunge(Some(&[2])).unwrap(), [2]);
    assert_eq!(uids(&mailbox), [1, 3]);
    assert_eq!(mailbox.remove(&[3]).unwrap(), [2]);
    assert_eq!(uids(&mailbox), [1]);
    let status = user.status(INBOX).unwrap();
    assert_eq!(status.messages, 1);
    assert_eq!(status.uid_next, 4, "UIDs are never given again");
}

#[test]
fn append_and_copy_give_uids_and_keep_flags_keywords_and_dates() {
    let fixture = Fixture::new("store-copy");
    let user = fixture.user();
    let date = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    let appended = user
        .append(
            "Drafts",
            b"Subject: draft\r\n\r\nbody\r\n",
            &[Flag::Draft, Flag::Seen],
            &[String::from("Work")],
            Some(date),
        )
        .unwrap();
    assert_eq!(appended.uid, 1);
    assert_eq!(
        appended.uid_validity,
        user.status("Drafts").unwrap().uid_validity
    );
    assert!(matches!(
        user.append("Nowhere", b"x", &[], &[], None),
        Err(MailStoreError::NoSuchMailbox)
    ));

    let mut drafts = user.open("Drafts", false).unwrap();
    let message = &drafts.messages()[0];
    assert!(
        message.recent,
        "appended messages are recent for the next session"
    );
    assert_eq!(message.internal_date, date);
    assert_eq!(message.flags, [Flag::Seen, Flag::Draft]);
    assert_eq!(message.keywords, ["Work"]);
    let cur = fixture.files(&user, ".Drafts", "cur");
    assert!(cur[0].ends_with(":2,DS"), "{cur:?}");

    let copied = drafts.copy_to(&[1, 99], &user, "Archive").unwrap();
    assert_eq!(copied.source, [1]);
    assert_eq!(copied.target, [1]);
    assert_eq!(
        copied.uid_validity,
        user.status("Archive").unwrap().uid_validity
    );
    let archive = user.open("Archive", true).unwrap();
    let copy = &archive.messages()[0];
    assert_eq!(copy.internal_date, date);
    assert_eq!(copy.flags, [Flag::Seen, Flag::Draft]);
    assert_eq!(copy.keywords, ["Work"]);
    assert_eq!(archive.read(1).unwrap(), drafts.read(1).unwrap());

    // MOVE: copy then gone here; the target gets the next UID.
    let (moved, gone) = drafts.move_to(&[1], &user, "Archive").unwrap();
    assert_eq!(moved.target, [2]);
    assert_eq!(gone, [1]);
    assert!(drafts.messages().is_empty());
    assert_eq!(user.status("Archive").unwrap().messages, 2);
    assert!(matches!(
        drafts.copy_to(&[1], &user, "Missing"),
        Err(MailStoreError::NoSuchMailbox)
    ));
}

#[test]
fn create_delete_rename_and_subscribe() {
    let fixture = Fixture::new("store-names");
    let user = fixture.user();
    user.create("Projects/2024/Q1").unwrap();
    assert!(user.exists("Projects"), "parents are made");
    assert!(user.exists("Projects/2024"));
    assert!(user.root().join(".Projects.2024.Q1/cur").is_dir());
    assert!(matches!(
        user.create("projects/2024/Q1")
            .map(|_| ())
            .and(user.create("Projects")),
        Err(MailStoreError::AlreadyExists)
    ));
    user.create("v1.0").unwrap();
    assert!(user.root().join(".v1%2E0/cur").is_dir());
    user.create("Grüße").unwrap();
    let names: Vec<String> = user.list().unwrap().into_iter().map(|i| i.name).collect();
    assert!(names.contains(&String::from("v1.0")), "{names:?}");
    assert!(names.contains(&String::from("Grüße")), "{names:?}");
    let projects = user
        .list()
        .unwrap()
        .into_iter()
        .find(|info| info.name == "Projects")
        .unwrap();
    assert!(projects.has_children);
    assert!(!projects.subscribed);

    for bad in [
        "",
        "../x",
        ".hidden",
        "a//b",
        "a/",
        "bad\u{1}name",
        "star*",
        "a/../b",
    ] {
        assert!(
            matches!(user.create(bad), Err(MailStoreError::InvalidName)),
            "{bad:?}"
        );
    }
    assert!(matches!(
        user.delete("INBOX"),
        Err(MailStoreError::CannotDeleteInbox)
    ));
    assert!(matches!(
        user.delete("Projects"),
        Err(MailStoreError::HasChildren)
    ));
    assert!(matches!(
        user.delete("Nope"),
        Err(MailStoreError::NoSuchMailbox)
    ));

    // Renaming keeps messages, UIDs and UIDVALIDITY and takes the children along.
    user.append("Projects/2024", b"Subject: p\r\n\r\n", &[], &[], None)
        .unwrap();
    let before = user.status("Projects/2024").unwrap();
    user.rename("Projects", "Work/Old").unwrap();
    assert!(!user.exists("Projects") && !user.exists("Projects/2024/Q1"));
    assert!(user.exists("Work") && user.exists("Work/Old/2024/Q1"));
    let after = user.status("Work/Old/2024").unwrap();
    assert_eq!(after.uid_validity, before.uid_validity);
    assert_eq!(after.messages, 1);
    assert!(matches!(
        user.rename("Work", "Work/Inner"),
        Err(MailStoreError::RenameIntoItself)
    ));
    assert!(matches!(
        user.rename("Work", "Sent"),
        Err(MailStoreError::AlreadyExists)
    ));
    user.delete("Work/Old/2024/Q1").unwrap();
    assert!(!user.exists("Work/Old/2024/Q1"));

    // A mailbox made again after delete gets another UIDVALIDITY, same second or not.
    let old = user.status("Work/Old/2024").unwrap().uid_validity;
    user.delete("Work/Old/2024").unwrap();
    user.create("Work/Old/2024").unwrap();
    assert!(user.status("Work/Old/2024").unwrap().uid_validity > old);

    user.subscribe("Work", true).unwrap();
    user.subscribe("Gone/Never", true).unwrap();
    user.subscribe("Sent", false).unwrap();
    let subscriptions = user.subscriptions().unwrap();
    assert!(subscriptions.contains(&String::from("Work")));
    assert!(subscriptions.contains(&String::from("Gone/Never")));
    assert!(!subscriptions.contains(&String::from("Sent")));
    assert!(fs::read_to_string(user.root().join("subscriptions"))
        .unwrap()
        .contains("Gone/Never\n"));
}

#[test]
fn renaming_inbox_moves_its_messages() {
    let fixture = Fixture::new("store-rename-inbox");
    let first = fixture.deliver("one");
    fixture.deliver("two");
    let user = fixture.user();
    let mut inbox = user.open(INBOX, false).unwrap();
    inbox
        .store_flags(
            &[2],
            FlagOp::Add,
            &[Flag::Flagged],
            &[String::from("Later")],
            None,
        )
        .unwrap();
    user.rename("INBOX", "Old Mail").unwrap();
    assert!(user.root().join(".Old Mail/cur").is_dir());
    let old = user.open("Old Mail", true).unwrap();
    assert_eq!(uids(&old), [1, 2]);
    assert_eq!(old.read(1).unwrap(), first);
    assert_eq!(old.messages()[1].flags, [Flag::Flagged]);
    assert_eq!(old.messages()[1].keywords, ["Later"]);
    assert_eq!(user.status(INBOX).unwrap().messages, 0);
    let changes = inbox.refresh().unwrap();
    assert_eq!(changes.expunged, [2, 1]);
    // New mail still arrives in INBOX.
    fixture.deliver("three");
    assert_eq!(inbox.refresh().unwrap().new_messages, 1);
    assert_eq!(uids(&inbox), [3]);
}

#[test]
fn a_damaged_uidlist_gives_uids_again_under_a_new_uidvalidity() {
    let fixture = Fixture::new("store-damaged");
    fixture.deliver("one");
    let user = fixture.user();
    let mut mailbox = user.open(INBOX, false).unwrap();
    let validity = mailbox.uid_validity();
    fs::write(user.root().join("mailwire-uidlist"), b"garbage\n").unwrap();
    let changes = mailbox.refresh().unwrap();
    assert!(changes.uid_validity_changed);
    assert_eq!(changes.expunged, [1]);
    assert_eq!(changes.new_messages, 1);
    assert!(mailbox.uid_validity() > validity);
}

#[test]
fn maildrop_lock_is_held_once() {
    let fixture = Fixture::new("store-maildrop");
    let lock = fixture.store.lock_maildrop(USER).unwrap();
    assert!(fixture.store.lock_maildrop("bob@mailwire.test").is_none());
    assert!(fixture.store.clone().lock_maildrop(USER).is_none());
    assert!(fixture.store.lock_maildrop("alice@mailwire.test").is_some());
    drop(lock);
    assert!(fixture.store.lock_maildrop(USER).is_some());
    assert!(fixture.store.lock_maildrop("../etc").is_none());
    assert!(matches!(
        fixture.store.user("../etc"),
        Err(MailStoreError::InvalidAddress)
    ));
}

#[test]
fn the_maildrop_view_does_not_claim_recent() {
    let fixture = Fixture::new("store-pop3");
    fixture.deliver("one");
    fixture.deliver("two");
    let user = fixture.user();
    let mut maildrop = user.open_maildrop().unwrap();
    assert_eq!(uids(&maildrop), [1, 2]);
    assert_eq!(maildrop.remove(&[1]).unwrap(), [1]);
    let imap = user.open(INBOX, false).unwrap();
    assert_eq!(uids(&imap), [2]);
    assert!(imap.messages()[0].recent);
}

#[test]
fn views_work_from_several_threads() {
    let fixture = Fixture::new("store-threads");
    let user = fixture.user();
    let threads: Vec<_> = (0..4)
        .map(|n| {
            let user = user.clone();
            std::thread::spawn(move || {
                for i in 0..10 {
                    user.append(INBOX, format!("n{n} i{i}\r\n").as_bytes(), &[], &[], None)
                        .unwrap();
                }
                let mut view = user.open(INBOX, false).unwrap();
                let mine: Vec<u32> = view.messages().iter().map(|m| m.uid).collect();
                view.store_flags(&mine, FlagOp::Add, &[Flag::Seen], &[], None)
                    .unwrap();
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let view = user.open(INBOX, true).unwrap();
    assert_eq!(uids(&view), (1..=40).collect::<Vec<u32>>());
    let mut contents: Vec<Vec<u8>> = (1..=40).map(|uid| view.read(uid).unwrap()).collect();
    contents.sort();
    contents.dedup();
    assert_eq!(contents.len(), 40);
}

#[test]
fn an_unchanged_folder_is_not_listed_again_once_its_stamps_settled() {
    let dir = TempDir::new("store-cache");
    let clock = ManualClock::new(std::time::SystemTime::now());
    let store = MailStore::new(
        dir.path().join("mail"),
        String::from("imap.test"),
        Arc::new(clock.clone()),
        Arc::new(SeededRandom::new(4)),
    );
    let user = store.user(USER).unwrap();
    user.append(INBOX, b"Subject: a\r\n\r\n", &[], &[], None)
        .unwrap();
    let mut view = user.open(INBOX, false).unwrap();
    let cur = user.root().join("cur");
    let stamp = fs::metadata(&cur).unwrap().modified().unwrap();
    // Long after the last change: this refresh lists the folder and keeps the result.
    clock.set(stamp + Duration::from_secs(3600));
    let quiet = view.refresh().unwrap();
    assert_eq!((quiet.new_messages, quiet.exists), (0, 1));
    assert!(quiet.flags_changed.is_empty() && quiet.expunged.is_empty());
    // Another program renames the flags and (as a change in the same time step would)
    // leaves cur/'s time as it was: the kept listing is used, nothing is seen.
    let path = view.path(1).unwrap();
    fs::rename(&path, format!("{}F", path.display())).unwrap();
    fs::File::open(&cur).unwrap().set_modified(stamp).unwrap();
    assert!(view.refresh().unwrap().flags_changed.is_empty());
    // Within the settling time of a stamp the folder is always listed: seen.
    clock.set(stamp + Duration::from_secs(1));
    assert_eq!(view.refresh().unwrap().flags_changed, [1]);
    // Changes that move a stamp are seen at once, settled or not.
    clock.set(stamp + Duration::from_secs(3600));
    assert!(view.refresh().unwrap().flags_changed.is_empty());
    std::thread::sleep(Duration::from_millis(20));
    user.append(INBOX, b"Subject: b\r\n\r\n", &[], &[], None)
        .unwrap();
    assert_eq!(view.refresh().unwrap().new_messages, 1);
    let mut other = user.open(INBOX, false).unwrap();
    other
        .store_flags(&[2], FlagOp::Add, &[], &[String::from("k")], None)
        .unwrap();
    assert_eq!(view.refresh().unwrap().flags_changed, [2]);
    assert_eq!(view.messages()[1].keywords, ["k"]);
}

#[test]
fn a_message_removed_by_another_view_is_no_longer_readable() {
    let fixture = Fixture::new("store-gone");
    fixture.deliver("one");
    fixture.deliver("two");
    let user = fixture.user();
    let mut pop3 = user.open_maildrop().unwrap();
    let mut imap = user.open(INBOX, false).unwrap();
    imap.store_flags(&[1], FlagOp::Add, &[Flag::Deleted], &[], None)
        .unwrap();
    assert_eq!(imap.expunge(None).unwrap(), [1]);
    // The POP3 view still lists it (its numbers are fixed for the session) but cannot
    // read it; removing it at QUIT is harmless and reports it gone.
    assert_eq!(uids(&pop3), [1, 2]);
    assert!(matches!(pop3.read(1), Err(MailStoreError::NoSuchMessage)));
    assert!(pop3.read(2).unwrap().starts_with(b"Subject: two"));
    assert_eq!(pop3.remove(&[1]).unwrap(), [1]);
    assert_eq!(uids(&pop3), [2]);
    assert_eq!(user.status(INBOX).unwrap().messages, 1);
}
