//! Generates the prost messages and tonic services from `doithoai/**/*.proto`
//! with the protoc binary vendored on crates.io, so a fresh machine needs
//! nothing installed by hand.

use std::{env, error::Error, path::PathBuf};

const PROTOS: &[&str] = &[
    "doithoai/common/v1/common.proto",
    "doithoai/clock/v1/clock.proto",
    "doithoai/directory/v1/units.proto",
    "doithoai/directory/v1/events.proto",
    "doithoai/scheduling/v1/directory.proto",
    "doithoai/scheduling/v1/conferences.proto",
    "doithoai/scheduling/v1/plans.proto",
    "doithoai/scheduling/v1/events.proto",
    "doithoai/participants/v1/participants.proto",
    "doithoai/participants/v1/events.proto",
    "doithoai/minutes/v1/minutes.proto",
    "doithoai/minutes/v1/events.proto",
    "doithoai/deadlines/v1/deadlines.proto",
    "doithoai/deadlines/v1/events.proto",
];

fn main() -> Result<(), Box<dyn Error>> {
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    config.enable_type_names();
    config.file_descriptor_set_path(out_dir.join("doithoai_descriptor.bin"));

    let well_known = protoc_bin_vendored::include_path()?;
    let well_known = well_known.to_str().ok_or("the protoc include path is not UTF-8")?;
    tonic_prost_build::configure().compile_with_config(config, PROTOS, &[".", well_known])?;
    println!("cargo:rerun-if-changed=doithoai");
    Ok(())
}
