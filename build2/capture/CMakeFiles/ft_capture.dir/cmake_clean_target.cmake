file(REMOVE_RECURSE
  "libft_capture.a"
)
