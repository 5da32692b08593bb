//! sea-orm entities, one file per table. Rows only: the API's types are written in `api`.

pub mod amendment;
pub mod approved_change;
pub mod budget_line;
pub mod budget_round;
pub mod committee;
pub mod committee_budget;
pub mod decision;
pub mod decision_vote;
pub mod feed_counter;
pub mod hu_remark;
pub mod hu_remark_version;
pub mod investment_need;
pub mod investment_need_amount;
pub mod policy_area;
pub mod policy_area_budget;
pub mod policy_area_budget_item;
pub mod policy_area_quantity;
pub mod proposal;
pub mod proposal_document;
pub mod proposal_history;
pub mod proposal_relation;
pub mod proposal_sequence;
pub mod proposal_year;
