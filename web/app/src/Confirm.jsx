import { useEffect, useId, useRef } from "react";

// A modal question before an action that decides many things at once: the browser's own
// <dialog> keeps focus inside it and Escape cancels.
export default function Confirm({ title, children, confirmLabel, disabled, busy, onConfirm, onCancel }) {
  const ref = useRef(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    dialog.showModal();
    return () => dialog.close();
  }, []);
  return (
    <dialog ref={ref} className="confirm" aria-labelledby={`${id}-title`} onCancel={(e) => { e.preventDefault(); onCancel(); }}>
      <form method="dialog" onSubmit={(e) => { e.preventDefault(); onConfirm(); }}>
        <h2 id={`${id}-title`}>{title}</h2>
        {children}
        <div className="row">
          <button type="submit" disabled={disabled || busy}>{busy ? "Working…" : confirmLabel}</button>
          <button type="button" onClick={onCancel}>Cancel</button>
        </div>
      </form>
    </dialog>
  );
}
