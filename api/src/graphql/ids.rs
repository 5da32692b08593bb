//! Global object ids (Relay): `base64url("Proposal:42")`, opaque to clients.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;

/// The kinds of object that have global ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A budget round.
    BudgetRound,
    /// A committee.
    Committee,
    /// A policy area.
    PolicyArea,
    /// A proposal.
    Proposal,
    /// An HU remark.
    HuRemark,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::BudgetRound => "BudgetRound",
            Self::Committee => "Committee",
            Self::PolicyArea => "PolicyArea",
            Self::Proposal => "Proposal",
            Self::HuRemark => "HuRemark",
        }
    }

    const ALL: [Self; 5] = [
        Self::BudgetRound,
        Self::Committee,
        Self::PolicyArea,
        Self::Proposal,
        Self::HuRemark,
    ];
}

/// The global id of an object.
pub fn encode(kind: Kind, id: i32) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// Any global id: its kind and row id. A malformed id is an input error on `field`.
pub fn decode_any(id: &ID, field: &[&str]) -> Result<(Kind, i32), ApiError> {
    let malformed = || ApiError::bad_input(field, "not a valid id");
    let bytes = URL_SAFE_NO_PAD
        .decode(id.as_str())
        .map_err(|_| malformed())?;
    let text = String::from_utf8(bytes).map_err(|_| malformed())?;
    let (name, number) = text.split_once(':').ok_or_else(malformed)?;
    let kind = Kind::ALL
        .into_iter()
        .find(|kind| kind.name() == name)
        .ok_or_else(malformed)?;
    let number = number.parse().map_err(|_| malformed())?;
    Ok((kind, number))
}

/// A global id that must be of `kind`.
pub fn decode(id: &ID, kind: Kind, field: &[&str]) -> Result<i32, ApiError> {
    match decode_any(id, field)? {
        (found, number) if found == kind => Ok(number),
        _ => Err(ApiError::bad_input(
            field,
            format!("not the id of a {}", kind.name()),
        )),
    }
}
