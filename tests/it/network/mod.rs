//! Corporate networks: a private certificate authority and a forward proxy
//! between kore-gitops and both the platform and git.

mod binary;
mod platform;
