file(REMOVE_RECURSE
  "libft_cli.a"
)
