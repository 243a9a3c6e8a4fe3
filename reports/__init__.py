"""Reports: completion reports and the exports administrators and accreditors need (completions
CSV, the ACCME PARS file, evaluation responses), streamed in constant memory, and their CLI."""
