//! Small Redis-exact helpers shared by the command families.

pub mod glob;
pub mod lcs;
pub mod num;
