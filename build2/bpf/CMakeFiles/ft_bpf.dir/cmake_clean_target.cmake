file(REMOVE_RECURSE
  "libft_bpf.a"
)
