//! Size limits shared by the reader of bot folders (what `validate` and the
//! daemon accept from git) and the platform client (what it accepts back in an
//! export): one rule set, so a definition one side accepts is never one the
//! other refuses after an import. Depends on nothing else in the crate.

/// The largest file an export may hold (the largest real definition seen is
/// 3.6 MB), and so the largest definition a bot folder may hold.
pub const MAX_EXPORT_ENTRY_BYTES: u64 = 64 * 1024 * 1024;

/// The most all the files of one export may inflate to.
pub const MAX_EXPORT_BYTES: u64 = 128 * 1024 * 1024;
