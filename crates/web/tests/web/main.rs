//! onego-web's tests: one binary, the JSON API and the HTML pages, each driven through the router.

mod agency;
mod api;
mod certificates;
mod delivery;
mod forms;
mod layers;
mod matrix;
mod pages;
mod privacy;
mod projects;
mod reform;
mod scale_out;
mod security;
mod shared_data;
mod snapshots;
mod support;
