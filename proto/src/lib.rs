//! Wire types of doithoai, generated from `proto/doithoai`.

pub mod common {
    pub mod v1 {
        tonic::include_proto!("doithoai.common.v1");
    }
}

pub mod clock {
    pub mod v1 {
        tonic::include_proto!("doithoai.clock.v1");
    }
}

pub mod directory {
    pub mod v1 {
        tonic::include_proto!("doithoai.directory.v1");
    }
}

pub mod scheduling {
    pub mod v1 {
        tonic::include_proto!("doithoai.scheduling.v1");
    }
}

pub mod participants {
    pub mod v1 {
        tonic::include_proto!("doithoai.participants.v1");
    }
}

pub mod minutes {
    pub mod v1 {
        tonic::include_proto!("doithoai.minutes.v1");
    }
}

pub mod deadlines {
    pub mod v1 {
        tonic::include_proto!("doithoai.deadlines.v1");
    }
}

/// Encoded descriptors of every file, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("doithoai_descriptor");
