#[tokio::main]
async fn main() -> std::process::ExitCode {
    doithoai_runtime::server::main(
        doithoai_participants::SERVICE,
        doithoai_participants::PORTS,
        doithoai_participants::start,
    )
    .await
}
