#[tokio::main]
async fn main() -> std::process::ExitCode {
    doithoai_runtime::server::main(doithoai_scheduling::SERVICE, doithoai_scheduling::PORTS, doithoai_scheduling::start)
        .await
}
