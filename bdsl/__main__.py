from bdsl.cli import main

main()
