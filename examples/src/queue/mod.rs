//! The durable mail queue between the SMTP listeners and delivery (issue 6). Its API
//! lands in the next commits: `Queue::open`, `enqueue`, `list`, `flush` and the runner.
