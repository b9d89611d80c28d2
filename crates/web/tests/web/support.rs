//! What every web test needs comes from the shared `onego-test-support` crate: temporary databases on
//! both backends, the test city's users, and one server with its client.

pub(crate) use onego_test_support::*;
