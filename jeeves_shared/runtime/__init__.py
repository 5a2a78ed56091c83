"""What every Jeeves process runs on: typed settings, structured logging, draining on SIGTERM."""
